"""The canonical lead fields: what source columns are mapped to, and what cleaning produces."""

from __future__ import annotations

# Fields a source column can be mapped to. Everything else a file carries is kept as a custom
# attribute of the lead, never dropped.
LEAD_INPUT_FIELDS: tuple[str, ...] = (
    "external_id",  # the record's id in the system it came from (CRM id, vendor contact id)
    "email",
    "first_name",
    "last_name",
    "full_name",
    "job_title",
    "seniority",  # a vendor's own seniority label, used when the title says nothing
    "department",
    "phone",
    "mobile_phone",
    "linkedin_url",
    "city",
    "state",
    "country",
    "company_name",
    "website",
    "company_linkedin_url",
    "industry",
    "employees",
    "revenue",
    "lead_source",
    "lead_status",
    "owner",  # who in the team works the lead (a CRM's contact or lead owner)
    "created_at",
)

# Columns that `clean_frame` adds; the silver `leads` and `companies` tables store these.
CLEAN_FIELDS: tuple[str, ...] = (
    "email",
    "email_valid",
    "email_domain",
    "email_free_mail",
    "email_disposable",
    "email_role",
    "phone_e164",
    "first_name",
    "last_name",
    "full_name",
    "job_title",
    "seniority",
    "department",
    "linkedin_url",
    "city",
    "state",
    "country_code",
    "company_name",
    "company_domain",
    "company_linkedin_url",
    "industry",
    "employees_min",
    "employees_max",
    "employees",
    "revenue_min",
    "revenue_max",
    "revenue",
    "lead_source",
    "lead_status",
    "owner",
    "created_at",
    "quality_score",
    "issues",
)

SENIORITY_LEVELS: tuple[str, ...] = ("c_level", "vp", "director", "manager", "ic")

# Fields of an events file.
EVENT_INPUT_FIELDS: tuple[str, ...] = (
    "email",
    "external_id",
    "linkedin_url",
    "phone",
    "event_type",
    "occurred_at",
)

# The standard event types; any other type is kept as a custom type (snake_case).
STANDARD_EVENT_TYPES: tuple[str, ...] = (
    "email_sent",
    "email_opened",
    "email_clicked",
    "email_replied",
    "email_bounced",
    "email_unsubscribed",
    "page_view",
    "form_fill",
    "content_download",
    "meeting_booked",
    "meeting_held",
    "opportunity_created",
    "deal_won",
    "deal_lost",
)

# Cleaned field -> the silver column that stores it, with per-field provenance: the lead's own
# fields, and its company's. The email and its facts change together, as one value.
LEAD_COLUMNS: dict[str, str] = {
    "email": "email",
    "email_valid": "email_valid",
    "email_free_mail": "email_free_mail",
    "email_disposable": "email_disposable",
    "email_role": "email_role",
    "phone_e164": "phone_e164",
    "first_name": "first_name",
    "last_name": "last_name",
    "full_name": "full_name",
    "job_title": "job_title",
    "seniority": "seniority",
    "department": "department",
    "linkedin_url": "linkedin_url",
    "city": "city",
    "state": "state",
    "country_code": "country_code",
    "company_name": "company_name",
    "company_domain": "company_domain",
    "lead_source": "lead_source",
    "lead_status": "lead_status",
    "owner": "owner",
    "created_at": "source_created_at",
}
COMPANY_COLUMNS: dict[str, str] = {
    "company_domain": "domain",
    "company_name": "name",
    "company_linkedin_url": "linkedin_url",
    "industry": "industry",
    "employees": "employees",
    "employees_min": "employees_min",
    "employees_max": "employees_max",
    "revenue": "revenue",
    "revenue_min": "revenue_min",
    "revenue_max": "revenue_max",
    "country_code": "country_code",
    "company_name_key": "name_key",
}
EMAIL_FLAGS: tuple[str, ...] = (
    "email",
    "email_valid",
    "email_free_mail",
    "email_disposable",
    "email_role",
)
