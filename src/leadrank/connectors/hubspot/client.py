"""A synchronous client of HubSpot's CRM API v3 (and v4 associations) on an injected
`httpx.Client`.

What it relies on, from HubSpot's developer docs (developers.hubspot.com/docs/api/crm/search,
/crm/understanding-the-crm, /crm/associations/v4, /crm/properties, /crm/owners and
/usage-details):
- A private app's access token as `Authorization: Bearer <token>`: 401 when it is wrong or
  revoked, 403 (category MISSING_SCOPES) when the app lacks a scope the call needs, naming the
  scopes in `errors[].context`.
- Errors are `{"status": "error", "message", "correlationId", "category"}`.
- Private apps may make 100 calls in any 10 seconds on Free and Starter (190 on Professional
  and Enterprise); the search endpoints allow 5 calls a second per account, and count toward
  the 10-second limit too. Over a limit: 429, with `policyName` TEN_SECONDLY_ROLLING or
  SECONDLY.
- `POST /crm/v3/objects/{type}/search` takes `filterGroups`, one sort, `properties`, `limit`
  (at most 200) and `after` (an offset), and answers at most 10,000 results per query: an
  `after` at or past 10,000 is a 400.
- Batch endpoints take at most 100 inputs, and answer 207 (multi-status) with `results` and
  `errors` when some inputs failed.
- `POST /crm/v4/associations/{from}/{to}/batch/read` answers, per input id, the ids it is
  associated with (paged per input past 500, continued by sending `{"id", "after"}`), and 207
  with a NO_ASSOCIATIONS_FOUND error for an id with none.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from leadrank.connectors.http_answers import error_json, json_object, retry_after_seconds
from leadrank.connectors.pacing import Lane, LocalPace, Pace
from leadrank.connectors.vendor_error import VendorError
from leadrank.errors import BadInput

DEFAULT_BASE_URL = "https://api.hubapi.com"
CALLS_PER_10S = 100  # private apps on Free and Starter; Professional and Enterprise allow 190
SEARCH_PER_SECOND = 5  # every search endpoint, per account
ROLLING_SECONDS = 10.0
# HubSpot counts a call when it arrives and a lane when it leaves: without a little slack, a
# first call slower on the wire than a later one lets n+1 calls land inside HubSpot's window.
LANE_MARGIN = 0.1
GENERAL_LANE_NAME = "hubspot"
SEARCH_LANE_NAME = "hubspot:search"
SEARCH_PAGE_LIMIT = 200  # the most a search page holds
SEARCH_CAP = 10_000  # the most results one search query reaches
BATCH_LIMIT = 100  # inputs per batch update, HubSpot's limit
# Ids per v4 associations batch read: HubSpot takes up to 1,000, but a page answering 100 ids
# of up to 500 associations each is already large; 100 keeps every answer small.
ASSOCIATION_BATCH = 100
OWNERS_LIMIT = 100  # owners per page (HubSpot allows up to 500)
_OBJECT_TYPE = re.compile(r"^[A-Za-z0-9_-]+$")
_NO_ASSOCIATIONS = "NO_ASSOCIATIONS_FOUND"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def general_lane(
    calls_per_10s: int = CALLS_PER_10S,
    *,
    seconds: float = ROLLING_SECONDS,
    margin: float = LANE_MARGIN,
) -> Lane:
    """The lane every call waits in: HubSpot's rolling 10-second limit."""
    return Lane(GENERAL_LANE_NAME, calls_per_10s, seconds + margin)


def search_lane(per_second: int = SEARCH_PER_SECOND, *, margin: float = LANE_MARGIN) -> Lane:
    """The lane search calls also wait in: HubSpot's limit on search, per second."""
    return Lane(SEARCH_LANE_NAME, per_second, 1.0 + margin)


GENERAL_LANE = general_lane()
SEARCH_LANE = search_lane()


def modified_property(object_type: str) -> str:
    """The property holding an object's last-modified time: contacts still use the old name."""
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


class HubSpotError(VendorError):
    """HubSpot failed or answered something unusable (`retriable` and `retry_after` as
    `VendorError` says). `hubspot_status` and `category` are HubSpot's own, when it answered."""

    def __init__(
        self,
        message: str,
        *,
        retriable: bool = False,
        retry_after: float | None = None,
        hubspot_status: int | None = None,
        category: str | None = None,
    ) -> None:
        super().__init__(message, retriable=retriable, retry_after=retry_after)
        self.hubspot_status = hubspot_status
        self.category = category


class HubSpotAuthError(HubSpotError):
    """HubSpot refused the token (401) or the app lacks a scope (403): permanent until fixed."""


@dataclass
class BatchOutcome:
    """What a batch update did: the ids updated, and the ids HubSpot refused with its reason."""

    updated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    modified: dict[str, str] = field(default_factory=dict)  # id -> updatedAt after the update


@dataclass
class _Query:
    """Whether one search query stopped at the result cap, with results still beyond it."""

    capped: bool = False


class HubSpotClient:
    """Contacts, companies, deals, their associations, properties and owners of one HubSpot
    account.

    Every call first waits its turn in the general lane of `pace` (search calls in the search
    lane too), so that workers sharing a pace stay under HubSpot's limits together. A 429
    holds the lane it names (`policyName`) for its `Retry-After`, or a backoff when it gives
    none, then the call is tried again; 5xx, timeouts and dropped connections are retried
    after an exponential backoff (`backoff`, doubled each time); both for up to
    `max_attempts` tries. A refused token or a missing scope fails at once. `sleep` and
    `clock` are injectable (they drive the default `LocalPace` too) so tests need not wait.

    The lanes are built from `calls_per_10s` (190 on Professional and Enterprise),
    `search_per_second` and `rolling_seconds` (HubSpot's 10; tests shorten it), each window
    `lane_margin` seconds longer than HubSpot's own (see `LANE_MARGIN`).

    `calls` counts the requests sent, retries included; `calls_by_lane` counts them per lane,
    where a search counts in both, as HubSpot counts it.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        token: SecretStr | str,
        base_url: str = DEFAULT_BASE_URL,
        pace: Pace | None = None,
        calls_per_10s: int = CALLS_PER_10S,
        search_per_second: int = SEARCH_PER_SECOND,
        rolling_seconds: float = ROLLING_SECONDS,
        lane_margin: float = LANE_MARGIN,
        page_size: int = SEARCH_PAGE_LIMIT,
        search_cap: int = SEARCH_CAP,
        max_attempts: int = 5,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        if not secret.get_secret_value().strip():
            raise BadInput("the HubSpot access token is empty; set LEADRANK_HUBSPOT_TOKEN")
        if not 1 <= page_size <= SEARCH_PAGE_LIMIT:
            raise BadInput(f"page_size must be 1-{SEARCH_PAGE_LIMIT}")
        if calls_per_10s < 1 or search_per_second < 1:
            raise BadInput("calls_per_10s and search_per_second must be at least 1")
        if search_cap < page_size:
            raise BadInput("search_cap must be at least page_size")
        self._http = http
        self._token = secret  # a SecretStr: never in a repr, a log line or an error message
        self._base = base_url.rstrip("/")
        self._pace: Pace = pace if pace is not None else LocalPace(sleep=sleep, clock=clock)
        self.general_lane = general_lane(calls_per_10s, seconds=rolling_seconds, margin=lane_margin)
        self.search_lane = search_lane(search_per_second, margin=lane_margin)
        self._lane_margin = lane_margin
        self.page_size = page_size
        self.search_cap = search_cap
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self.calls = 0
        self.calls_by_lane: dict[str, int] = {}

    # -- reading ---------------------------------------------------------------------------

    def search_modified(
        self, object_type: str, *, since: datetime | None, properties: list[str]
    ) -> Iterator[dict[str, Any]]:
        """Every object of a type modified at or after `since` (all of them when None), oldest
        change first, each as HubSpot gives it: `{"id", "properties", "createdAt",
        "updatedAt", "archived"}`, with `properties` and the last-modified one.

        One search query reaches at most `search_cap` results, so a longer walk starts a new
        query from the last modified time seen (inclusive, skipping the ids already given at
        that moment). An object changed during the walk moves to its end and may come twice.
        """
        kind = _object_type(object_type)
        modified = modified_property(kind)
        wanted = list(dict.fromkeys([*properties, modified]))
        floor = _epoch_ms(since) if since is not None else None
        operator = "GTE"
        skip: set[str] = set()  # ids given already at `floor`
        while True:
            filters = [] if floor is None else [_filter(modified, operator, floor)]
            query = _Query()
            last, at_last = floor, set(skip)
            for record in self._search(kind, filters, modified, wanted, query):
                rid, stamp = str(record.get("id")), _stamp(record, modified)
                if stamp is not None and stamp == floor and rid in skip:
                    continue
                if stamp is not None:
                    if stamp != last:
                        last, at_last = stamp, set()
                    at_last.add(rid)
                yield record
            if not query.capped:
                return
            if last is None:
                raise HubSpotError(
                    f"HubSpot's search of {kind} reached its {self.search_cap} result cap "
                    f"without {modified} values to continue from"
                )
            if last != floor:
                floor, operator, skip = last, "GTE", at_last
                continue
            # A whole query's worth of changes at one millisecond: walk that moment by id.
            yield from self._search_moment(kind, modified, wanted, last, at_last)
            operator, skip = "GT", set()

    def _search_moment(
        self, kind: str, modified: str, wanted: list[str], moment: int, skip: set[str]
    ) -> Iterator[dict[str, Any]]:
        """The objects modified at exactly `moment` that are not in `skip`, in id order."""
        last_id: str | None = None
        while True:
            filters = [_filter(modified, "EQ", moment)]
            if last_id is not None:
                filters.append(_filter("hs_object_id", "GT", last_id))
            query = _Query()
            started_after = last_id
            for record in self._search(kind, filters, "hs_object_id", wanted, query):
                last_id = str(record.get("id"))
                if last_id not in skip:
                    yield record
            if not query.capped:
                return
            if last_id == started_after:
                raise HubSpotError(f"HubSpot's search of {kind} did not move past id {last_id}")

    def _search(
        self,
        kind: str,
        filters: list[dict[str, str]],
        sort_by: str,
        properties: list[str],
        query: _Query,
    ) -> Iterator[dict[str, Any]]:
        """The results of one search query, page by page, up to HubSpot's result cap (then
        `query.capped` is set)."""
        path = f"/crm/v3/objects/{kind}/search"
        after: str | None = None
        while True:
            body: dict[str, Any] = {
                "sorts": [{"propertyName": sort_by, "direction": "ASCENDING"}],
                "properties": properties,
                "limit": self.page_size,
            }
            if filters:
                body["filterGroups"] = [{"filters": filters}]
            if after is not None:
                body["after"] = after
            _, page = self._call("POST", path, body=body, search=True)
            results = _records(page, f"POST {path}")
            yield from results
            following = _next_after(page)
            if following is None or not results:
                return
            if _offset(following) >= self.search_cap:
                query.capped = True
                return
            if following == after:  # a cursor that does not move would page forever
                raise HubSpotError(f"HubSpot repeated the page cursor of POST {path}")
            after = following

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> dict[str, list[str]]:
        """The ids of the `to_type` objects each of `ids` is associated with ([] for none),
        read `ASSOCIATION_BATCH` ids at a time (`POST /crm/v4/associations/.../batch/read`)."""
        source, target = _object_type(from_type), _object_type(to_type)
        path = f"/crm/v4/associations/{source}/{target}/batch/read"
        found: dict[str, list[str]] = {str(i): [] for i in ids}
        pending: list[dict[str, str]] = [{"id": i} for i in found]
        while pending:
            following: list[dict[str, str]] = []
            for start in range(0, len(pending), ASSOCIATION_BATCH):
                chunk = pending[start : start + ASSOCIATION_BATCH]
                _, page = self._call("POST", path, body={"inputs": chunk})
                for result in _records(page, f"POST {path}"):
                    origin = str((result.get("from") or {}).get("id"))
                    targets = found.setdefault(origin, [])
                    for link in result.get("to") or []:
                        linked = str(link.get("toObjectId"))
                        if linked not in targets:
                            targets.append(linked)
                    cursor = _next_after(result)
                    if cursor is not None:
                        following.append({"id": origin, "after": cursor})
                unexpected = [e for e in _errors(page) if _NO_ASSOCIATIONS not in _kinds(e)]
                if unexpected:
                    raise HubSpotError(
                        f"HubSpot could not read the {target} of some {source}: "
                        f"{_short(str(unexpected[0].get('message')))}",
                        category=_text(unexpected[0].get("category")),
                    )
            pending = following
        return found

    def properties(self, object_type: str) -> list[dict[str, Any]]:
        """The property definitions of an object type (`GET /crm/v3/properties/{type}`)."""
        path = f"/crm/v3/properties/{_object_type(object_type)}"
        _, document = self._call("GET", path)
        return _records(document, f"GET {path}")

    def property_groups(self, object_type: str) -> list[dict[str, Any]]:
        """The property groups of an object type (`GET /crm/v3/properties/{type}/groups`)."""
        path = f"/crm/v3/properties/{_object_type(object_type)}/groups"
        _, document = self._call("GET", path)
        return _records(document, f"GET {path}")

    def owners(self, *, limit: int = OWNERS_LIMIT) -> Iterator[dict[str, Any]]:
        """Every owner (user) of the account (`GET /crm/v3/owners`): `{"id", "email",
        "firstName", "lastName", "userId", ...}`."""
        path = "/crm/v3/owners"
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": limit}
            if after is not None:
                params["after"] = after
            _, page = self._call("GET", path, params=params)
            results = _records(page, f"GET {path}")
            yield from results
            following = _next_after(page)
            if following is None or not results:
                return
            if following == after:
                raise HubSpotError(f"HubSpot repeated the page cursor of GET {path}")
            after = following

    # -- writing ---------------------------------------------------------------------------

    def create_property_group(self, object_type: str, name: str, label: str) -> bool:
        """Create a property group; False when one of that name already exists (409)."""
        path = f"/crm/v3/properties/{_object_type(object_type)}/groups"
        status, _ = self._call(
            "POST", path, body={"name": name, "label": label, "displayOrder": -1}, accept=(409,)
        )
        return status != 409

    def create_property(self, object_type: str, definition: dict[str, Any]) -> bool:
        """Create a property from `{name, label, type, fieldType, groupName, description}`;
        False when one of that name already exists (409)."""
        missing = [
            k for k in ("name", "label", "type", "fieldType", "groupName") if k not in definition
        ]
        if missing:
            raise BadInput(f"a HubSpot property needs {', '.join(missing)}")
        path = f"/crm/v3/properties/{_object_type(object_type)}"
        status, _ = self._call("POST", path, body=definition, accept=(409,))
        return status != 409

    def batch_read(
        self, object_type: str, ids: Sequence[str], *, properties: list[str]
    ) -> list[dict[str, Any]]:
        """Objects by id, `BATCH_LIMIT` at a time (`POST /crm/v3/objects/{type}/batch/read`,
        `{"properties", "inputs": [{"id"}]}`); ids HubSpot no longer has (207) are left out."""
        path = f"/crm/v3/objects/{_object_type(object_type)}/batch/read"
        wanted = list(dict.fromkeys(str(rid) for rid in ids))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), BATCH_LIMIT):
            chunk = wanted[start : start + BATCH_LIMIT]
            body = {"properties": properties, "inputs": [{"id": rid} for rid in chunk]}
            _, document = self._call("POST", path, body=body, accept=(207,))
            found.extend(_records(document, f"POST {path}"))
        return found

    def batch_update(self, object_type: str, inputs: Sequence[dict[str, Any]]) -> BatchOutcome:
        """Set properties of existing objects, `BATCH_LIMIT` at a time
        (`POST /crm/v3/objects/{type}/batch/update`, inputs `{"id", "properties"}`).

        Ids HubSpot refuses one by one (207) are reported in `failed` with its reason; a batch
        it refuses whole (e.g. a property that does not exist) raises. A rate-limited batch is
        sent again whole, and HubSpot applies each batch once: the one it accepts.
        """
        path = f"/crm/v3/objects/{_object_type(object_type)}/batch/update"
        batch = [_update_input(item) for item in inputs]
        ids = [item["id"] for item in batch]
        if len(set(ids)) != len(ids):
            raise BadInput("a batch update names the same id twice; HubSpot refuses that")
        outcome = BatchOutcome()
        for start in range(0, len(batch), BATCH_LIMIT):
            chunk = batch[start : start + BATCH_LIMIT]
            status, document = self._call("POST", path, body={"inputs": chunk})
            chunk_ids = [item["id"] for item in chunk]
            results = document.get("results")
            for result in results if isinstance(results, list) else []:
                if isinstance(result, dict) and isinstance(result.get("updatedAt"), str):
                    outcome.modified[str(result.get("id"))] = result["updatedAt"]
            if status != 207:
                outcome.updated.extend(chunk_ids)
                continue
            done = {str(r.get("id")) for r in _records(document, f"POST {path}")}
            failed = _failed_ids(document)
            for rid in chunk_ids:
                if rid in failed:
                    outcome.failed[rid] = failed[rid]
                elif rid in done:
                    outcome.updated.append(rid)
                else:
                    outcome.failed[rid] = "HubSpot reported neither an update nor an error"
        return outcome

    # -- the wire --------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        search: bool = False,
        accept: tuple[int, ...] = (),
    ) -> tuple[int, dict[str, Any]]:
        """One request, paced and retried as the class says; its status and JSON object.
        Statuses in `accept` are answers, not failures."""
        what = f"{method} {path}"
        lanes = (self.search_lane, self.general_lane) if search else (self.general_lane,)
        attempt = 0
        while True:
            attempt += 1
            self._take_turns(lanes)
            self._count(lanes)
            retry_after: float | None = None
            held: Lane | None = None  # the lane a 429 asks to hold
            try:
                response = self._http.request(
                    method,
                    self._base + path,
                    params=params,
                    json=body,
                    headers={"Authorization": f"Bearer {self._token.get_secret_value()}"},
                )
            except httpx.TransportError as exc:  # timeouts, refused or dropped connections
                failure = type(exc).__name__
            else:
                status = response.status_code
                if 200 <= status < 300 or status in accept:
                    if not response.content:  # an empty body (a 204) reads as an empty object
                        return status, {}
                    return status, json_object(response, what, vendor="HubSpot", error=HubSpotError)
                document = _document(response)
                if status in (401, 403):
                    raise HubSpotAuthError(
                        self._scrub(_refusal(status, what, response, document)),
                        hubspot_status=status,
                        category=_text(document.get("category")),
                    )
                retry_after = retry_after_seconds(response)
                if status == 429:
                    failure = "429 rate limited"
                    held = self._limited_lane(document, search)
                elif status >= 500:
                    failure = f"{status} server error"
                else:
                    raise HubSpotError(
                        f"HubSpot refused {what}: {status} "
                        f"{self._scrub(_vendor_message(response, document))}",
                        hubspot_status=status,
                        category=_text(document.get("category")),
                    )
            wait = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
            if attempt >= self.max_attempts or wait > self.max_wait:
                raise HubSpotError(
                    f"HubSpot did not answer {what} after {attempt} tries ({failure}); "
                    "try again later",
                    retriable=True,
                    retry_after=retry_after,
                )
            if held is not None:
                self._pace.hold(held, wait)
            else:
                self._sleep(wait)

    def _take_turns(self, lanes: tuple[Lane, ...]) -> None:
        """Wait for a turn in every lane, so that all of them are granted at about the moment
        the call goes. A turn granted before a long wait in a later lane is stale (the lane
        logged the call earlier than HubSpot will see it): that lane's turn is taken again,
        counting the call twice there, which errs on the safe side. A few rounds at most."""
        tolerance = self._lane_margin / 2
        pending, elapsed = list(lanes), 0.0
        granted: dict[str, float] = {}  # lane name: `elapsed` when its turn came
        for _ in range(4):
            for lane in pending:
                elapsed += self._pace.wait_turn(lane)
                granted[lane.name] = elapsed
            pending = [lane for lane in lanes if elapsed - granted[lane.name] > tolerance]
            if not pending:
                return

    def _limited_lane(self, document: dict[str, Any], search: bool) -> Lane:
        """The lane a 429 is about: search's for SECONDLY, the general one for the rolling (or
        daily) limit, the call's narrowest lane when HubSpot does not say."""
        policy = str(document.get("policyName") or "").upper()
        if search and policy in ("SECONDLY", ""):
            return self.search_lane
        return self.general_lane

    def _count(self, lanes: tuple[Lane, ...]) -> None:
        self.calls += 1
        for lane in lanes:
            self.calls_by_lane[lane.name] = self.calls_by_lane.get(lane.name, 0) + 1

    def _scrub(self, text: str) -> str:
        """The text without the token, should HubSpot ever echo it."""
        secret = self._token.get_secret_value()
        return text.replace(secret, "***") if secret else text


def _object_type(name: str) -> str:
    """An object type fit for a URL path ("contacts", "p_cars", "2-1234")."""
    if not _OBJECT_TYPE.match(name):
        raise BadInput(f"{name!r} is not a HubSpot object type")
    return name


def _filter(prop: str, operator: str, value: int | str) -> dict[str, str]:
    return {"propertyName": prop, "operator": operator, "value": str(value)}


def _epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, as HubSpot's search compares datetimes (naive is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)  # exact, unlike timestamp() * 1000


def _stamp(record: dict[str, Any], modified: str) -> int | None:
    """A record's last-modified time in epoch milliseconds, from its properties or
    `updatedAt`."""
    properties = record.get("properties")
    value = properties.get(modified) if isinstance(properties, dict) else None
    for candidate in (value, record.get("updatedAt")):
        if isinstance(candidate, str) and candidate:
            if candidate.isdigit():
                return int(candidate)
            try:
                return _epoch_ms(datetime.fromisoformat(candidate))
            except ValueError:
                continue
    return None


def _offset(after: str) -> int:
    """A search cursor as the offset it is; -1 when it is something else."""
    return int(after) if after.isdigit() else -1


def _update_input(item: dict[str, Any]) -> dict[str, Any]:
    rid, properties = item.get("id"), item.get("properties")
    if rid is None or str(rid) == "" or not isinstance(properties, dict):
        raise BadInput('each batch update input needs an "id" and a "properties" object')
    return {"id": str(rid), "properties": properties}


def _failed_ids(document: dict[str, Any]) -> dict[str, str]:
    """The ids a multi-status answer names in its `errors` (`context.ids` or `context.id`),
    each with HubSpot's message."""
    failed: dict[str, str] = {}
    for error in _errors(document):
        context = error.get("context")
        message = _short(str(error.get("message") or error.get("category") or "failed"))
        if not isinstance(context, dict):
            continue
        for key in ("ids", "id"):
            named = context.get(key)
            for rid in named if isinstance(named, list) else [named]:
                if rid not in (None, ""):
                    failed[str(rid)] = message
    return failed


def _errors(document: dict[str, Any]) -> list[dict[str, Any]]:
    errors = document.get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _kinds(error: dict[str, Any]) -> str:
    return f"{error.get('category')} {error.get('subCategory')}"


def _records(document: dict[str, Any], what: str) -> list[dict[str, Any]]:
    results = document.get("results")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise HubSpotError(f"HubSpot answered {what} without a list of results")
    return results


def _next_after(document: dict[str, Any]) -> str | None:
    paging = document.get("paging")
    following = paging.get("next") if isinstance(paging, dict) else None
    after = following.get("after") if isinstance(following, dict) else None
    return str(after) if after not in (None, "") else None


def _document(response: httpx.Response) -> dict[str, Any]:
    """An error answer's JSON object, or {} when it has none."""
    document = error_json(response)
    return document if isinstance(document, dict) else {}


def _refusal(status: int, what: str, response: httpx.Response, document: dict[str, Any]) -> str:
    if status == 401:
        return (
            f"HubSpot refused the access token ({what}: 401 "
            f"{_vendor_message(response, document)}); check LEADRANK_HUBSPOT_TOKEN"
        )
    scopes = _scopes(document)
    if scopes:
        return (
            f"HubSpot refused {what}: 403, the private app lacks the scope "
            f"{' or '.join(scopes)}; add it to the app in HubSpot"
        )
    return (
        f"HubSpot refused {what}: 403 {_vendor_message(response, document)}; "
        "the private app may lack a scope"
    )


def _scopes(document: dict[str, Any]) -> list[str]:
    """The scopes a 403 says are missing (`errors[].context.requiredGranularScopes`,
    `requiredScopes` or `missingScopes`, or the same keys in `context`)."""
    contexts = [document.get("context")] + [e.get("context") for e in _errors(document)]
    found: list[str] = []
    for context in contexts:
        if not isinstance(context, dict):
            continue
        for key in ("requiredGranularScopes", "requiredScopes", "missingScopes"):
            named = context.get(key)
            if isinstance(named, list):
                found.extend(str(s) for s in named if str(s) not in found)
    return found


def _vendor_message(response: httpx.Response, document: dict[str, Any]) -> str:
    """HubSpot's own words (`message`), short."""
    message = document.get("message")
    if isinstance(message, str) and message:
        return _short(message)
    return response.reason_phrase


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
