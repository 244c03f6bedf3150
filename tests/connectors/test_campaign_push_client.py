"""Adding leads to an Instantly campaign, against the fake over real HTTP: 1,000 leads a
request, a lead already in the campaign never added twice (also when a request is retried or
the same push runs again), the skip flags as Instantly documents them, an unknown campaign as
a clear error, and leads without an email refused before anything is sent."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from leadrank.connectors.instantly.client import (
    InstantlyAuthError,
    InstantlyClient,
    InstantlyError,
)
from leadrank.connectors.instantly.fake import FAKE_API_KEY, FakeInstantly
from leadrank.errors import BadInput
from tests.connectors.conftest import Naps

MakeClient = Callable[..., InstantlyClient]


def new_leads(count: int, *, prefix: str = "lead") -> list[dict[str, Any]]:
    return [
        {
            "email": f"{prefix}{i}@prospect{i % 7}.example.com",
            "first_name": f"First{i}",
            "company_name": f"Prospect {i % 7}",
            "custom_variables": {"leadrank_score": i % 100},
        }
        for i in range(count)
    ]


def campaign_id(fake: FakeInstantly, index: int) -> str:
    return str(fake.workspace.campaigns[index]["id"])


def person(fake: FakeInstantly, first_name: str) -> dict[str, Any]:
    """A person of the sample workspace as a lead to push (the documented keys only)."""
    lead = next(x for x in fake.workspace.leads if x["first_name"] == first_name)
    return {key: lead[key] for key in ("email", "first_name", "last_name", "company_name")}


def emails_in(client: InstantlyClient, campaign: str) -> Counter[str]:
    return Counter(lead["email"] for lead in client.leads(campaign=campaign))


def test_2500_leads_go_in_requests_of_1000_1000_and_500(
    fake: FakeInstantly, instantly: MakeClient
) -> None:
    client = instantly()
    target = campaign_id(fake, 2)
    before = emails_in(client, target)
    calls_before = client.calls
    leads = new_leads(2500)

    outcome = client.add_leads_to_campaign(target, leads)

    requests = fake.calls("/leads/add")
    assert [len(r.body["leads"]) for r in requests] == [1000, 1000, 500]
    assert client.calls - calls_before == 3
    sent = [lead["email"] for r in requests for lead in r.body["leads"]]
    assert sent == [lead["email"] for lead in leads]  # in order, each once
    assert {
        (r.body["campaign_id"], r.body["skip_if_in_workspace"], r.body["skip_if_in_campaign"])
        for r in requests
    } == {(target, False, False)}
    assert requests[0].body["leads"][0]["custom_variables"] == {"leadrank_score": 0}

    assert (outcome.sent, outcome.uploaded, outcome.already_in_campaign, outcome.skipped) == (
        2500,
        2500,
        0,
        0,
    )
    assert outcome.remaining_in_plan == fake.remaining_in_plan == 100_000 - 2500
    # Every created lead's id, by email, as POST /leads/list lists them afterwards.
    listed = {lead["email"]: lead["id"] for lead in client.leads(campaign=target)}
    assert outcome.created == {lead["email"]: listed[lead["email"]] for lead in leads}
    assert emails_in(client, target) == before + Counter(lead["email"] for lead in leads)


def test_a_lead_already_in_the_campaign_is_not_added_twice(
    fake: FakeInstantly, instantly: MakeClient
) -> None:
    client = instantly()
    target = campaign_id(fake, 0)
    ann = person(fake, "Ann")  # in campaign 0 already
    leads = [ann, *new_leads(2)]

    first = client.add_leads_to_campaign(target, leads)
    assert (first.sent, first.uploaded, first.already_in_campaign) == (3, 2, 1)
    assert set(first.created) == {lead["email"] for lead in leads[1:]}
    after_first = emails_in(client, target)
    assert after_first[ann["email"]] == 1
    assert all(after_first[lead["email"]] == 1 for lead in leads)

    # The same push again adds nothing.
    again = client.add_leads_to_campaign(target, leads)
    assert (again.sent, again.uploaded, again.already_in_campaign, again.created) == (3, 0, 3, {})
    assert emails_in(client, target) == after_first


def test_the_skip_flags_as_instantly_documents_them(
    fake: FakeInstantly, instantly: MakeClient
) -> None:
    client = instantly()
    webinar = campaign_id(fake, 2)  # Jon, Kim, Lena; Greta, Hiro and Ines are in campaign 1
    greta, hiro, ines = (person(fake, name) for name in ("Greta", "Hiro", "Ines"))
    fresh = new_leads(3, prefix="fresh")

    # skip_if_in_workspace: a lead anywhere in the workspace is skipped.
    outcome = client.add_leads_to_campaign(
        webinar, [greta, fresh[0]], skip_if_in_workspace=True, skip_if_in_campaign=False
    )
    assert (outcome.uploaded, outcome.skipped, list(outcome.created)) == (1, 1, [fresh[0]["email"]])

    # skip_if_in_campaign: a lead in ANY campaign is skipped, not only this one's.
    outcome = client.add_leads_to_campaign(webinar, [ines, fresh[1]], skip_if_in_campaign=True)
    assert (outcome.uploaded, outcome.skipped) == (1, 1)

    # With no skip flag (the default) a person can be in two campaigns.
    outcome = client.add_leads_to_campaign(webinar, [hiro, fresh[2]])
    assert (outcome.uploaded, outcome.skipped) == (2, 0)

    listed = emails_in(client, webinar)
    assert (
        listed[hiro["email"]] == 1 and greta["email"] not in listed and ines["email"] not in listed
    )
    assert all(listed[lead["email"]] == 1 for lead in fresh)
    bodies = [r.body for r in fake.calls("/leads/add")]
    assert [(b["skip_if_in_workspace"], b["skip_if_in_campaign"]) for b in bodies] == [
        (True, False),
        (False, True),
        (False, False),
    ]


def test_a_429_then_success_adds_each_lead_exactly_once(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    fake.fail("429", path="/leads/add", retry_after="2")
    client = instantly()
    target = campaign_id(fake, 1)
    leads = new_leads(1500)

    outcome = client.add_leads_to_campaign(target, leads)

    assert naps.taken == [2.0]
    assert [len(r.body["leads"]) for r in fake.calls("/leads/add")] == [1000, 1000, 500]
    assert client.calls == 3
    assert (outcome.sent, outcome.uploaded, outcome.already_in_campaign) == (1500, 1500, 0)
    listed = emails_in(client, target)
    assert all(listed[lead["email"]] == 1 for lead in leads)


def test_a_request_stored_but_unanswered_is_retried_without_adding_twice(
    fake: FakeInstantly, instantly_url: str, naps: Naps
) -> None:
    # The first request is stored after the client stopped waiting; the retry is stored first.
    fake.slow_seconds = 0.6
    fake.fail("slow", path="/leads/add")
    target = campaign_id(fake, 2)
    leads = new_leads(5)
    with httpx.Client(timeout=0.2) as impatient:
        client = InstantlyClient(
            impatient,
            api_key=FAKE_API_KEY,
            base_url=instantly_url,
            backoff=0.1,
            sleep=naps.sleep,
            clock=naps.clock,
        )
        outcome = client.add_leads_to_campaign(target, leads)
        assert naps.taken == [0.1] and client.calls == 2
        assert (outcome.uploaded, len(outcome.created)) == (5, 5)

        deadline = time.monotonic() + 10
        while len(fake.add_answers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        late = fake.add_answers[1]
        assert (late["leads_uploaded"], late["duplicated_leads"]) == (0, 5)
        listed = emails_in(client, target)
    assert all(listed[lead["email"]] == 1 for lead in leads)


def test_an_unknown_campaign_is_a_clear_error(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    client = instantly()
    known = client.campaign(campaign_id(fake, 0))
    assert known == fake.workspace.campaigns[0]
    assert fake.calls(f"/campaigns/{known['id']}")[0].method == "GET"

    unknown = str(uuid.UUID(int=7))
    with pytest.raises(InstantlyError) as failure:
        client.campaign(unknown)
    assert failure.value.message == (
        f"the Instantly campaign {unknown} does not exist (or this API key cannot see it)"
    )
    assert failure.value.retriable is False
    with pytest.raises(InstantlyError, match="does not exist"):
        client.add_leads_to_campaign(unknown, new_leads(2))
    assert len(fake.add_answers) == 0 and naps.taken == []  # a 404 is not retried

    calls = client.calls
    with pytest.raises(BadInput, match="not a UUID"):
        client.campaign("Q2 Outbound")
    assert client.calls == calls


def test_leads_without_an_email_are_refused_before_any_call(
    fake: FakeInstantly, instantly: MakeClient
) -> None:
    client = instantly()
    target = campaign_id(fake, 0)
    good = new_leads(1)[0]
    with pytest.raises(BadInput, match="lead 1 has no email"):
        client.add_leads_to_campaign(target, [good, {"first_name": "Nomail"}])
    with pytest.raises(BadInput, match="lead 2 has no email"):
        client.add_leads_to_campaign(target, [good, good, {"email": "   "}])
    with pytest.raises(BadInput, match="lead 0 has no email"):
        client.add_leads_to_campaign(target, [{"email": None}, *new_leads(1500)])
    with pytest.raises(BadInput, match="company_domain; put them in custom_variables"):
        client.add_leads_to_campaign(target, [{**good, "company_domain": "acme.com"}])
    assert client.calls == 0 and fake.requests == []

    nothing = client.add_leads_to_campaign(target, [])
    assert (nothing.sent, nothing.created, client.calls) == (0, {}, 0)


def test_invalid_blocked_and_repeated_emails_are_counted(
    fake: FakeInstantly, instantly: MakeClient
) -> None:
    fake.blocklist = {"blocked.example"}
    good = new_leads(1)[0]
    leads = [good, {"email": "not-an-email"}, {"email": "cfo@blocked.example"}, dict(good)]
    outcome = instantly().add_leads_to_campaign(campaign_id(fake, 0), leads)
    assert (outcome.sent, outcome.uploaded, outcome.invalid) == (4, 1, 1)
    assert (outcome.in_blocklist, outcome.duplicates) == (1, 1)
    assert list(outcome.created) == [good["email"]]


def test_the_fake_refuses_more_than_1000_leads_as_instantly_does(
    fake: FakeInstantly, instantly_url: str, http: httpx.Client
) -> None:
    headers = {"Authorization": f"Bearer {FAKE_API_KEY}"}
    body = {"campaign_id": campaign_id(fake, 0), "leads": new_leads(1001)}
    response = http.post(f"{instantly_url}/leads/add", json=body, headers=headers)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "error": "Bad Request",
        "message": "body/leads must NOT have more than 1000 items",
    }
    extra = {"campaign_id": campaign_id(fake, 0), "leads": [{"email": "a@b.co", "x": 1}]}
    response = http.post(f"{instantly_url}/leads/add", json=extra, headers=headers)
    assert response.status_code == 400
    assert fake.add_answers == []


def test_faults_apply_to_the_new_endpoints(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    client = instantly(backoff=0.5)
    target = campaign_id(fake, 0)
    fake.fail("500", times=2, path=f"/campaigns/{target}")
    assert client.campaign(target)["id"] == target
    assert naps.taken == [0.5, 1.0] and client.calls == 3

    fake.fail("401", path="/leads/add")
    with pytest.raises(InstantlyAuthError, match="refused the API key"):
        client.add_leads_to_campaign(target, new_leads(3))
    assert fake.add_answers == [] and client.calls == 4
