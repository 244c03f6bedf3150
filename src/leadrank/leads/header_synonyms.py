"""Header names of common exports (Apollo, HubSpot, Salesforce, LinkedIn Sales Navigator, Instantly,
generic spreadsheets), keyed by canonical field. Headers are compared after `header_key`, so
"E-mail Address", "email_address" and "emailAddress" are the same name. Earlier names win when a
file has several columns for one field; later ones only fill the gaps row by row.
"""

from __future__ import annotations

import re

# fmt: off
LEAD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "recordid", "leadid", "contactid", "apollocontactid", "prospectid", "salesforceid",
        "hubspotid", "crmid", "personid", "id", "leadnumber",
    ),
    "email": (
        "email", "emailaddress", "workemail", "businessemail", "leademail", "contactemail",
        "primaryemail", "email1", "emailid", "mail", "personalemail",
    ),
    "first_name": ("firstname", "first", "givenname", "fname", "forename", "vorname", "prenom"),
    "last_name": ("lastname", "last", "surname", "familyname", "lname", "nachname"),
    "full_name": ("fullname", "name", "contactname", "leadname", "personname", "contact"),
    "job_title": (
        "title", "jobtitle", "position", "designation", "jobposition", "role", "headline",
    ),
    "seniority": ("seniority", "senioritylevel", "joblevel", "managementlevel", "level"),
    "department": ("department", "departments", "jobfunction", "function"),
    "phone": (
        "phone", "phonenumber", "workdirectphone", "directphone", "workphone", "businessphone",
        "firstphone", "telephone", "officephone", "phone1", "tel", "contactphone",
    ),
    "mobile_phone": (
        "mobilephone", "mobile", "mobilephonenumber", "cellphone", "cell", "mobilenumber",
    ),
    "linkedin_url": (
        "personlinkedinurl", "linkedinurl", "linkedin", "linkedinprofile", "linkedinprofileurl",
        "profileurl", "publicprofileurl", "defaultprofileurl", "linkedinprofilelink",
    ),
    "city": ("city", "personcity", "towncity", "town"),
    "state": ("state", "stateregion", "stateprovince", "province", "region"),
    "country": ("country", "countryregion", "personcountry", "countryname", "location"),
    "company_name": (
        "company", "companyname", "account", "accountname", "companyaccount", "organization",
        "organisation", "employer", "companynameforemails",
    ),
    "website": ("website", "websiteurl", "companywebsite", "companydomain", "domain", "url"),
    "company_linkedin_url": (
        "companylinkedinurl", "companylinkedin", "linkedincompanyurl", "companyurl",
    ),
    "industry": ("industry", "companyindustry", "sector", "vertical"),
    "employees": (
        "employees", "numberofemployees", "noofemployees", "employeecount", "numemployees",
        "companysize", "headcount", "companyheadcount", "estimatednumemployees", "size",
    ),
    "revenue": ("annualrevenue", "revenue", "companyrevenue", "estimatedrevenue", "revenuerange"),
    "lead_source": ("leadsource", "source", "originalsource", "channel"),
    "lead_status": ("leadstatus", "status"),
    "owner": (
        "owner", "leadowner", "contactowner", "recordowner", "accountowner", "ownername",
        "hubspotowner", "salesrep", "salesowner", "assignedto", "assignee",
    ),
    "created_at": (
        "createdate", "createdat", "createddate", "datecreated", "creationdate", "created",
    ),
}

EVENT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "leademail", "contactemail", "emailaddress", "recipient", "lead"),
    "external_id": ("leadid", "contactid", "recordid", "prospectid", "personid"),
    # Only by a mapping file or a connector: an "Event ID" column often names a webinar or a
    # meeting many leads attended, not one lead's event.
    "event_id": (),
    "linkedin_url": ("linkedinurl", "linkedin", "profileurl"),
    "phone": ("phone", "phonenumber"),
    "event_type": ("eventtype", "event", "type", "activitytype", "activity", "action", "eventname"),
    "occurred_at": (
        "timestamp", "occurredat", "eventtime", "eventdate", "datetime", "time", "date",
        "activitydate", "createdat",
    ),
}

# Vendor event names that mean a standard type.
EVENT_TYPE_SYNONYMS: dict[str, str] = {
    "sent": "email_sent", "send": "email_sent", "emailsent": "email_sent",
    "open": "email_opened", "opened": "email_opened", "emailopen": "email_opened",
    "emailopened": "email_opened",
    "click": "email_clicked", "clicked": "email_clicked", "linkclicked": "email_clicked",
    "emailclicked": "email_clicked", "emaillinkclicked": "email_clicked",
    "reply": "email_replied", "replied": "email_replied", "replyreceived": "email_replied",
    "emailreplied": "email_replied", "emailreply": "email_replied",
    "bounce": "email_bounced", "bounced": "email_bounced", "emailbounced": "email_bounced",
    "hardbounce": "email_bounced",
    "unsubscribe": "email_unsubscribed", "unsubscribed": "email_unsubscribed",
    "leadunsubscribed": "email_unsubscribed", "emailunsubscribed": "email_unsubscribed",
    "optout": "email_unsubscribed",
    "pageview": "page_view", "pagevisited": "page_view", "webvisit": "page_view",
    "pagevisitedonwebsite": "page_view", "visit": "page_view",
    "formfill": "form_fill", "formsubmission": "form_fill", "formsubmitted": "form_fill",
    "formfilled": "form_fill",
    "download": "content_download", "contentdownload": "content_download",
    "assetdownload": "content_download",
    "meetingbooked": "meeting_booked", "meetingscheduled": "meeting_booked",
    "demobooked": "meeting_booked", "leadmeetingbooked": "meeting_booked",
    "meetingheld": "meeting_held", "meetingcompleted": "meeting_held", "demoheld": "meeting_held",
    "leadmeetingcompleted": "meeting_held",
    # Instantly's lead-status webhooks (developer.instantly.ai/guides/webhook-events).
    "leadinterested": "interested",
    "opportunitycreated": "opportunity_created", "opportunity": "opportunity_created",
    "dealwon": "deal_won", "won": "deal_won", "closedwon": "deal_won",
    "deallost": "deal_lost", "lost": "deal_lost", "closedlost": "deal_lost",
}

# fmt: on

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(header: str) -> str:
    """The comparable form of a column header: lowercase letters and digits only."""
    return _NOT_ALNUM.sub("", header.casefold())


def snake_case(text: str) -> str:
    """A custom event type or attribute name as snake_case ("Webinar Attended" -> "webinar_attended")."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text.strip())
    return _NOT_ALNUM.sub("_", spaced.casefold()).strip("_")
