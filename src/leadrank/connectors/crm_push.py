"""What every CRM's push does the same way: which owner it sends, the loop its changed values
go through, and the note of its end in each object type's sync state.

Values go a batch at a time, each batch's outcome recorded (`crm_links.record_pushed`) in a
short transaction of its own before the next goes: no transaction is open while the CRM
answers, and a push that stops half-way (a 429 storm that outlasts the retries, a crash)
resends only what it had not recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine

from leadrank.connectors.crm_links import record_pushed, sync_state
from leadrank.db.engine import session_scope
from leadrank.kit.progress import Progress
from leadrank.routing.ruleset import crm_owner_id
from leadrank.routing.service import active_rules

# A record's id in the CRM and the values (text) it is to get.
Update = tuple[str, dict[str, str]]
# Where an owner leadrank pushes comes from (`Lead.owner_source`): the routing rules or a
# person in leadrank. An owner that came from the CRM is the CRM's already.
CHOSEN_HERE = ("routing", "manual")


class BatchSent(Protocol):
    """What the CRM did with one batch: the ids it updated, and those it refused with its
    reason."""

    @property
    def updated(self) -> list[str]: ...

    @property
    def failed(self) -> dict[str, str]: ...


def push_in_batches(
    engine: Engine,
    *,
    vendor: str,
    object_type: str,
    updates: Sequence[Update],
    size: int,
    send: Callable[[list[Update]], BatchSent],
    refused: dict[str, str],
    progress: Progress,
) -> int:
    """Send `updates` `size` at a time with `send`, recording after each batch what the CRM
    accepted (those values become what it last got) and refused (its reason, also added to
    `refused`); how many records it accepted."""
    sent = 0
    for start in range(0, len(updates), size):
        chunk = list(updates[start : start + size])
        outcome = send(chunk)
        wanted = dict(chunk)
        with session_scope(engine, writes=True) as session:
            record_pushed(
                session,
                vendor=vendor,
                object_type=object_type,
                accepted={rid: wanted[rid] for rid in outcome.updated if rid in wanted},
                refused=outcome.failed,
                modified=getattr(outcome, "modified", None),  # the CRMs that tell it
            )
        refused.update(outcome.failed)
        sent += len(outcome.updated)
        progress(object_type, min(start + size, len(updates)), len(updates))
    return sent


def chosen_owner(values: dict[str, Any], owners: dict[str, str], unknown: set[str]) -> str | None:
    """The CRM's user id of the owner leadrank chose for a lead (`values` of
    `score_values.lead_values`), from `owners` (email, lower case -> user id); None when the
    owner is none of leadrank's choosing, or when the CRM has no user of that email (then the
    owner is added to `unknown`, for the report)."""
    owner, source = values.get("owner"), values.get("owner_source") or ""
    if not owner or not source.startswith(CHOSEN_HERE):
        return None
    user = owners.get(str(owner).lower())
    if user is None:
        unknown.add(str(owner))
    return user


def note_push(
    engine: Engine, *, vendor: str, object_types: Iterable[str], result: dict[str, Any]
) -> None:
    """Note a push that ran to its end in each object type's sync state: when, and `result`
    beside what the last pull left there."""
    with session_scope(engine, writes=True) as session:
        for object_type in object_types:
            state = sync_state(session, vendor=vendor, object_type=object_type)
            state.last_push_at = datetime.now(UTC)
            state.last_result = {**(state.last_result or {}), "push": result}


def with_rule_ids(engine: Engine, vendor: str, owners: dict[str, str]) -> dict[str, str]:
    """`owners` (email, lower case -> the CRM's user id, as found by email) with the ids the
    active routing rules give their owners laid over: a rule's id wins."""
    with session_scope(engine) as session:
        rules = active_rules(session)
    given = {
        email: user
        for email in (rules.owners if rules is not None else {})
        if (user := crm_owner_id(rules, email, vendor)) is not None
    }
    return {**owners, **given}
