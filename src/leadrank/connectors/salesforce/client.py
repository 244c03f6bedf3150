"""A synchronous client of the Salesforce REST API on an injected `httpx.Client`.

What it relies on, from Salesforce's REST API Developer Guide
(developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest) and its OAuth help pages:
- OAuth 2.0 client credentials: `POST {My Domain}/services/oauth2/token`, form-encoded
  `grant_type=client_credentials`, `client_id`, `client_secret`; answered with
  `{"access_token", "instance_url", "token_type": "Bearer", "issued_at", "signature", ...}` and
  no expiry, so a token is used until a call answers 401 `INVALID_SESSION_ID`. A refused app
  answers 400 `{"error", "error_description"}` (e.g. `invalid_client`).
- Data calls go to `{instance_url}/services/data/vXX.X/...` with `Authorization: Bearer`.
  Errors are a list of `{"message", "errorCode", "fields"?}`.
- `GET /query?q=SOQL` answers `{"totalSize", "done", "records", "nextRecordsUrl"?}`; the next
  batch is at `nextRecordsUrl`, a path on the instance. Records carry `{"attributes": {"type",
  "url"}}`. SOQL datetime literals are unquoted (`2026-03-02T09:00:00.000Z`).
- sObject Collections: `PATCH /composite/sobjects` updates at most 200 records, each with
  `{"attributes": {"type"}, "id", ...}`; with `allOrNone: false` every record is saved or
  refused on its own and the answer is a SaveResult (`{"id", "success", "errors": [{"statusCode",
  "message", "fields"}]}`) per record, in request order. A request that is not well formed (an
  unknown field among them: 400 `INVALID_FIELD`, "No such column ... on sobject of type ...")
  is refused whole.
- Limits: an org has a rolling 24-hour allocation of API requests; past it every call answers
  403 `REQUEST_LIMIT_EXCEEDED` ("TotalRequests Limit exceeded."). Responses report the usage
  so far in `Sforce-Limit-Info: api-usage=USED/ALLOWED`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from leadrank.connectors.http_answers import error_json, json_body, retry_after_seconds
from leadrank.connectors.pacing import Lane, LocalPace, Pace
from leadrank.connectors.vendor_error import VendorError
from leadrank.errors import BadInput

DEFAULT_API_VERSION = "v60.0"
COLLECTION_LIMIT = 200  # the most records one sObject Collections request may carry
IDS_PER_QUERY = 200  # ids in one `IN (...)` list: the statement stays far below the URL limit
USERS_SOQL = "SELECT Id, Email, Name FROM User WHERE IsActive = true ORDER BY Id ASC"
CALLS_PER_SECOND = 25  # bursts only: Salesforce's own limit is a daily allocation
TOKEN_PATH = "/services/oauth2/token"
CREDENTIALS_HINT = "check LEADRANK_SALESFORCE_CLIENT_ID and LEADRANK_SALESFORCE_CLIENT_SECRET"

# API names: letters, digits and single underscores, an optional `ns__` namespace prefix and an
# optional `__c` suffix (any case: Salesforce reads names so). Nothing else may reach a SOQL
# statement or a request body's keys.
_NAME = re.compile(r"(?:[A-Za-z][A-Za-z0-9]*__)?[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*(?:__[cC])?")
_NAME_MAX = 120
_RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
_VERSION = re.compile(r"v\d{2,3}\.0")
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceError(VendorError):
    """Salesforce failed or answered something unusable (`retriable` and `retry_after` as
    `VendorError` says; the daily allocation used up is retriable too). `error_code` is
    Salesforce's own (`INVALID_FIELD`, ...) when it gave one. `outcome`: what an interrupted
    `update_records` had saved before it stopped."""

    def __init__(
        self,
        message: str,
        *,
        retriable: bool = False,
        retry_after: float | None = None,
        error_code: str | None = None,
    ) -> None:
        super().__init__(message, retriable=retriable, retry_after=retry_after)
        self.error_code = error_code
        self.outcome: CollectionOutcome | None = None


class SalesforceAuthError(SalesforceError):
    """Salesforce refused the connected app's credentials, or a token it had just issued:
    permanent until the app or its settings are fixed."""


@dataclass
class CollectionOutcome:
    """Which records an update saved (`updated`, ids as given) and which Salesforce refused
    (`failed`: id -> `STATUS_CODE: message`)."""

    updated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Session:
    token: SecretStr
    instance_url: str


class SalesforceClient:
    """Queries, describes and updates the records of one Salesforce org as a connected app.

    Every request (token fetches included) first waits its turn in the "salesforce" lane of
    `pace` (`calls_per_second`, default 25: Salesforce counts calls per day, the lane only keeps
    bursts polite). A 429 holds the lane for its `Retry-After` (or a backoff when it gives
    none) and the request goes again, until `max_wait` seconds of holding in all. 5xx, timeouts
    and dropped connections are retried after an exponential backoff (`backoff`, doubled each
    time) for up to `max_attempts` tries. A 401 on a data call fetches a new token once. Other
    refusals fail at once. `sleep` and `clock` are injectable (they also drive the default
    `LocalPace`) so tests need not wait.

    `calls` counts the requests sent, retries and token fetches included; `api_usage` is the
    org's (used, allowed) daily API requests as its last answer reported them.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        url: str,
        client_id: str,
        client_secret: SecretStr | str,
        api_version: str = DEFAULT_API_VERSION,
        calls_per_second: int = CALLS_PER_SECOND,
        pace: Pace | None = None,
        max_attempts: int = 5,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        if not client_id.strip():
            raise BadInput("the Salesforce client id is empty; set LEADRANK_SALESFORCE_CLIENT_ID")
        if not secret.get_secret_value().strip():
            raise BadInput(
                "the Salesforce client secret is empty; set LEADRANK_SALESFORCE_CLIENT_SECRET"
            )
        if not url.startswith(("https://", "http://")):
            raise BadInput("the Salesforce URL must be the org's My Domain URL, https://...")
        if not _VERSION.fullmatch(api_version):
            raise BadInput(f"the Salesforce API version must look like v60.0, not {api_version!r}")
        if calls_per_second < 1:
            raise BadInput("calls_per_second must be at least 1")
        self._http = http
        self._url = url.rstrip("/")
        self._client_id = client_id.strip()
        self._secret = secret  # a SecretStr: never in a repr, a log line or an error message
        self.api_version = api_version
        self.lane = Lane("salesforce", calls_per_second, 1.0)
        self._pace: Pace = pace if pace is not None else LocalPace(sleep=sleep, clock=clock)
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._session: _Session | None = None
        self.calls = 0
        self.api_usage: tuple[int, int] | None = None

    # -- reading ---------------------------------------------------------------------------

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every record a SOQL query selects, batch after batch (`GET /query`, then each
        `nextRecordsUrl`)."""
        if not soql.strip():
            raise BadInput("the SOQL query is empty")
        page = self._object(self._call("GET", self._data("/query"), params={"q": soql}), "query")
        seen: set[str] = set()
        while True:
            records = page.get("records")
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise SalesforceError("Salesforce answered a query without a list of records")
            yield from records
            following = page.get("nextRecordsUrl")
            if page.get("done") is not False or not following:
                return
            if not isinstance(following, str) or not following.startswith("/services/data/"):
                raise SalesforceError("Salesforce answered a query with an unusable nextRecordsUrl")
            if following in seen:  # a locator that does not move would page forever
                raise SalesforceError("Salesforce repeated a query's nextRecordsUrl")
            seen.add(following)
            page = self._object(self._call("GET", following), "query")

    def modified_since(
        self, sobject: str, fields: list[str], since: datetime | None
    ) -> Iterator[dict[str, Any]]:
        """The records of `sobject` modified after `since` (all of them when None), oldest
        change first, with `Id`, `SystemModstamp` and `fields`."""
        yield from self.query(modified_since_soql(sobject, fields, since))

    def with_ids(
        self, sobject: str, fields: list[str], ids: list[str], *, match: str = "Id"
    ) -> Iterator[dict[str, Any]]:
        """The records of `sobject` whose `match` field (the record's own `Id` unless said) is
        one of `ids`, with `Id` and `fields`: `SELECT ... WHERE <match> IN ('...', ...)`, 200
        ids a query. Every id must look like a Salesforce id (15 or 18 letters and digits), so
        nothing else reaches the statement."""
        statements = [  # every id checked before the first call
            with_ids_soql(sobject, fields, ids[start : start + IDS_PER_QUERY], match)
            for start in range(0, len(ids), IDS_PER_QUERY)
        ]
        for soql in statements:
            yield from self.query(soql)

    def users(self) -> Iterator[dict[str, Any]]:
        """The org's active users, each with `Id`, `Email` and `Name`: who may own records."""
        yield from self.query(USERS_SOQL)

    def describe(self, sobject: str) -> dict[str, Any]:
        """`sobject`'s metadata: `{"name", "fields": [{"name", "type", "label", "updateable",
        ...}], ...}` (`GET /sobjects/{sobject}/describe`)."""
        _check_name("sObject", sobject)
        answer = self._call("GET", self._data(f"/sobjects/{sobject}/describe"))
        document = self._object(answer, "describe")
        fields = document.get("fields")
        if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
            raise SalesforceError(f"Salesforce described {sobject} without a list of fields")
        return document

    def missing_fields(self, sobject: str, wanted: list[str]) -> list[str]:
        """Those of `wanted` that `sobject` lacks (or hides from this app's user), in the order
        given. API names are compared as Salesforce does, ignoring case."""
        for name in wanted:
            _check_name("field", name)
        present = {str(f.get("name", "")).lower() for f in self.describe(sobject)["fields"]}
        return [name for name in wanted if name.lower() not in present]

    # -- writing ---------------------------------------------------------------------------

    def update_records(self, sobject: str, records: list[dict[str, Any]]) -> CollectionOutcome:
        """Set fields on existing records (`[{"Id": ..., field: value}]`), 200 a request.

        Each record is saved or refused on its own (`allOrNone: false`). A request answered
        429 or 5xx was not applied and goes again whole; one that timed out goes again too,
        which at worst sets the same values twice. When a request fails for good the error
        carries, as `outcome`, what the requests before it saved.
        """
        _check_name("sObject", sobject)
        payload = [_collection_record(sobject, record) for record in records]
        _refuse_repeats(payload)
        outcome = CollectionOutcome()
        try:
            for start in range(0, len(payload), COLLECTION_LIMIT):
                chunk = payload[start : start + COLLECTION_LIMIT]
                body = {"allOrNone": False, "records": chunk}
                results = self._call("PATCH", self._data("/composite/sobjects"), body=body)
                _tally(chunk, results, outcome)
        except SalesforceError as exc:
            exc.outcome = outcome
            raise
        return outcome

    # -- transport -------------------------------------------------------------------------

    def _data(self, path: str) -> str:
        return f"/services/data/{self.api_version}{path}"

    def _object(self, answer: Any, what: str) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise SalesforceError(f"Salesforce answered a {what} with JSON that is not an object")
        return answer

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """One data call on the instance, with a fresh token once if the one held has expired;
        its JSON."""
        what = f"{method} {path}"
        response = self._on_instance(method, path, what, params, body)
        if response.status_code == 401:
            self._session = None
            response = self._on_instance(method, path, what, params, body)
            if response.status_code == 401:
                raise SalesforceAuthError(
                    f"Salesforce refused a token it had just issued ({what}: 401 "
                    f"{self._vendor_message(response)}); check the connected app's run-as user "
                    "and its API permissions"
                )
        if response.is_success:
            return json_body(response, what, vendor="Salesforce", error=SalesforceError)
        raise self._refusal(response, what)

    def _on_instance(
        self,
        method: str,
        path: str,
        what: str,
        params: dict[str, str] | None,
        body: dict[str, Any] | None,
    ) -> httpx.Response:
        """The request on the org's instance with the token held, fetched first if need be."""
        session = self._session or self._authenticate()
        url = session.instance_url + path
        return self._exchange(method, url, what, params=params, json=body, session=session)

    def _authenticate(self) -> _Session:
        """A new access token by the client credentials flow."""
        what = f"POST {TOKEN_PATH}"
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret.get_secret_value(),
        }
        response = self._exchange("POST", self._url + TOKEN_PATH, what, data=form)
        if response.status_code in (400, 401, 403):
            raise SalesforceAuthError(
                f"Salesforce refused the connected app's credentials ({what}: "
                f"{response.status_code} {self._vendor_message(response)}); {CREDENTIALS_HINT}, "
                "and that the app allows the client credentials flow with a run-as user"
            )
        if not response.is_success:
            raise self._refusal(response, what)
        document = json_body(response, what, vendor="Salesforce", error=SalesforceError)
        token = document.get("access_token") if isinstance(document, dict) else None
        instance = document.get("instance_url") if isinstance(document, dict) else None
        if not isinstance(token, str) or not token or not isinstance(instance, str):
            raise SalesforceError(f"Salesforce answered {what} without a token and instance URL")
        if not instance.startswith(("https://", "http://")):
            raise SalesforceError(f"Salesforce answered {what} with an unusable instance URL")
        self._session = _Session(SecretStr(token), instance.rstrip("/"))
        return self._session

    def _exchange(
        self,
        method: str,
        url: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        session: _Session | None = None,
    ) -> httpx.Response:
        """Send one request until it gets an answer that is neither a 429 nor a 5xx; that
        answer. Gives up, retriable, as the class says."""
        headers = {"Accept": "application/json"}
        if session is not None:
            headers["Authorization"] = f"Bearer {session.token.get_secret_value()}"
        attempt = 0
        limited = 0
        held = 0.0
        while True:
            self._pace.wait_turn(self.lane)
            self.calls += 1
            try:
                response = self._http.request(
                    method, url, params=params, json=json, data=data, headers=headers
                )
            except httpx.TransportError as exc:  # timeouts, refused or dropped connections
                failure = type(exc).__name__
            else:
                self._note_usage(response)
                status = response.status_code
                if status == 429:
                    limited += 1
                    wait = retry_after_seconds(response)
                    if wait is None:
                        wait = self.backoff * 2 ** min(limited - 1, 10)
                    held += wait
                    if wait > self.max_wait or held > self.max_wait:
                        raise SalesforceError(
                            f"Salesforce kept rate limiting {what} (429); try again later",
                            retriable=True,
                            retry_after=wait,
                        )
                    self._pace.hold(self.lane, wait)
                    continue
                if status < 500:
                    return response
                failure = f"{status} {self._vendor_message(response)}"
            attempt += 1
            if attempt >= self.max_attempts:
                raise SalesforceError(
                    f"Salesforce did not answer {what} after {attempt} tries ({failure}); "
                    "try again later",
                    retriable=True,
                )
            self._sleep(self.backoff * 2 ** (attempt - 1))

    def _note_usage(self, response: httpx.Response) -> None:
        match = _USAGE.search(response.headers.get("sforce-limit-info", ""))
        if match:
            self.api_usage = (int(match.group(1)), int(match.group(2)))

    def _refusal(self, response: httpx.Response, what: str) -> SalesforceError:
        """The error for a 4xx other than a 401 or a 429."""
        status = response.status_code
        code = _error_code(response)
        words = self._vendor_message(response)
        if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
            return SalesforceError(
                f"Salesforce refused {what}: the org's daily API request limit is used up "
                f"(403 {words}); calls work again as the 24-hour window moves on, or once "
                "Salesforce raises the org's allocation",
                retriable=True,
                error_code=code,
            )
        hint = ""
        if code == "INVALID_FIELD":
            hint = "; check the fields exist and the connected app's user can see them"
        return SalesforceError(
            f"Salesforce refused {what}: {status} {words}{hint}", error_code=code
        )

    def _vendor_message(self, response: httpx.Response) -> str:
        """Salesforce's own words, short, and never the secret or the token even if echoed."""
        text = _vendor_words(response)[:300]
        secrets = [self._secret.get_secret_value()]
        if self._session is not None:
            secrets.append(self._session.token.get_secret_value())
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def modified_since_soql(sobject: str, fields: list[str], since: datetime | None) -> str:
    """`SELECT Id, SystemModstamp, <fields> FROM <sobject> [WHERE SystemModstamp > <since>]
    ORDER BY SystemModstamp ASC, Id ASC`; every name checked first, so nothing but API names
    and a datetime literal reaches the statement. The Id tiebreak keeps the order total."""
    _check_name("sObject", sobject)
    selected = ["Id", "SystemModstamp"]
    for name in fields:
        _check_name("field", name)
        if name.lower() not in {s.lower() for s in selected}:  # SOQL refuses a repeated field
            selected.append(name)
    soql = f"SELECT {', '.join(selected)} FROM {sobject}"
    if since is not None:
        soql += f" WHERE SystemModstamp > {soql_datetime(since)}"
    return soql + " ORDER BY SystemModstamp ASC, Id ASC"


def with_ids_soql(sobject: str, fields: list[str], ids: list[str], match: str = "Id") -> str:
    """`SELECT Id, <fields> FROM <sobject> WHERE <match> IN ('<id>', ...) ORDER BY Id ASC`;
    names checked as API names and ids as record ids before anything is put together."""
    _check_name("sObject", sobject)
    _check_name("field", match)
    if not ids:
        raise BadInput("a query by ids needs at least one id")
    selected = ["Id"]
    for name in fields:
        _check_name("field", name)
        if name.lower() not in {s.lower() for s in selected}:
            selected.append(name)
    for record in ids:
        if not isinstance(record, str) or not _RECORD_ID.fullmatch(record):
            raise BadInput(
                f"{str(record)[:40]!r} is not a Salesforce record id (15 or 18 letters and digits)"
            )
    listed = ", ".join(f"'{record}'" for record in dict.fromkeys(ids))
    return (
        f"SELECT {', '.join(selected)} FROM {sobject} WHERE {match} IN ({listed}) ORDER BY Id ASC"
    )


def soql_datetime(moment: datetime) -> str:
    """A SOQL datetime literal in UTC, unquoted, to the millisecond Salesforce keeps
    ("2026-03-02T09:00:00.000Z"); a naive `moment` is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or len(name) > _NAME_MAX or not _NAME.fullmatch(name):
        shown = repr(name)[:60]
        raise BadInput(
            f"{kind} {shown} is not a Salesforce API name (letters, digits and underscores, "
            "e.g. Leadrank_Score__c)"
        )


def _collection_record(sobject: str, record: dict[str, Any]) -> dict[str, Any]:
    """One record as sObject Collections wants it: attributes, `id`, then the fields."""
    record_id: Any = None
    fields: dict[str, Any] = {}
    for name, value in record.items():
        if isinstance(name, str) and name.lower() == "id":
            record_id = value
            continue
        _check_name("field", name)
        if name.lower() == "attributes":
            raise BadInput("a record to update may not set 'attributes'")
        fields[name] = value
    if not isinstance(record_id, str) or not _RECORD_ID.fullmatch(record_id):
        raise BadInput(
            f"each record to update needs an Id of 15 or 18 letters and digits, not {str(record_id)[:40]!r}"
        )
    return {"attributes": {"type": sobject}, "id": record_id, **fields}


def _refuse_repeats(payload: list[dict[str, Any]]) -> None:
    """One record twice in one update is a caller's mistake: which values should win?"""
    seen: set[str] = set()
    for record in payload:
        key = record["id"][:15]  # the 18-character form only adds a case checksum
        if key in seen:
            raise BadInput(f"record {record['id']} appears more than once in one update")
        seen.add(key)


def _tally(chunk: list[dict[str, Any]], results: Any, outcome: CollectionOutcome) -> None:
    """Match SaveResults to the records sent, by position (a refused record's result may
    carry no id)."""
    if not isinstance(results, list) or len(results) != len(chunk):
        raise SalesforceError(
            "Salesforce answered PATCH /composite/sobjects without one result per record"
        )
    for record, result in zip(chunk, results, strict=True):
        record_id = record["id"]
        if isinstance(result, dict) and result.get("success") is True:
            outcome.updated.append(record_id)
        else:
            errors = result.get("errors") if isinstance(result, dict) else None
            outcome.failed[record_id] = _save_errors(errors)


def _save_errors(errors: Any) -> str:
    """`STATUS_CODE: message` of each error of a SaveResult, joined, short."""
    if not isinstance(errors, list) or not errors:
        return "refused without a reason"
    parts = []
    for error in errors:
        if isinstance(error, dict):
            parts.append(f"{error.get('statusCode', 'ERROR')}: {error.get('message', '')}".strip())
    return "; ".join(parts)[:300] or "refused without a reason"


def _error_code(response: httpx.Response) -> str | None:
    document = error_json(response)
    if isinstance(document, list) and document and isinstance(document[0], dict):
        code = document[0].get("errorCode")
        return code if isinstance(code, str) else None
    return None


def _vendor_words(response: httpx.Response) -> str:
    """Salesforce's explanation: `errorCode: message` of its error list, or OAuth's
    `error: error_description`."""
    document = error_json(response)
    if isinstance(document, list):
        parts = [
            f"{error.get('errorCode', 'ERROR')}: {error.get('message', '')}"
            for error in document
            if isinstance(error, dict)
        ]
        if parts:
            return "; ".join(parts)
    if isinstance(document, dict) and isinstance(document.get("error"), str):
        description = document.get("error_description")
        return f"{document['error']}: {description}" if description else document["error"]
    return response.reason_phrase
