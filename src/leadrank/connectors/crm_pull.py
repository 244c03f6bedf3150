"""The steps every CRM's pull takes the same way, whatever the vendor calls its records: where
each object type's pull starts and the newest modification it saw (`Watermarks`), records a
database cannot hold left out, and each batch ingested and counted into the pull's report.

Where a pull got to is saved only once it has ended: a pull that stops half-way starts again
from where its last full run got to, and the records it reads again are no-ops in bronze."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.connectors.crm_links import parse_moment, sync_state
from leadrank.connectors.records import Tally, ingest_records
from leadrank.db.engine import session_scope
from leadrank.ingest.follow_up import after_arrivals
from leadrank.kit.storable import unstorable


class PullCounts(Protocol):
    """What a pull's report counts the same way for every CRM."""

    unstorable: int
    quarantine_reasons: Counter[str]
    import_ids: list[int]


class FinishedPull(Protocol):
    """What the end of a pull reads from its report."""

    @property
    def events(self) -> Tally: ...

    @property
    def import_ids(self) -> list[int]: ...

    def as_json(self) -> dict[str, Any]: ...


class Watermarks:
    """How far one CRM's pulls got, per object type: the newest modification the last full
    pull saw (where this one starts), and the newest this pull has seen so far, saved by
    `finish`."""

    def __init__(self, engine: Engine, *, vendor: str, object_types: Iterable[str]) -> None:
        self.engine = engine
        self.vendor = vendor
        self.object_types = tuple(object_types)
        self.newest: dict[str, datetime] = {}

    def floors(
        self, since: datetime | None, *, lookback: timedelta = timedelta(0)
    ) -> dict[str, datetime | None]:
        """Where each object type's pull starts: `since` when given, else `lookback` before
        the newest modification the last full pull saw (None: never pulled, so from the
        start)."""
        if since is not None:
            return dict.fromkeys(self.object_types, since)
        with session_scope(self.engine, writes=True) as session:
            seen = {
                kind: sync_state(session, vendor=self.vendor, object_type=kind).modified_through
                for kind in self.object_types
            }
        return {
            kind: None if moment is None else moment - lookback for kind, moment in seen.items()
        }

    def walk(
        self, records: Iterable[dict[str, Any]], kind: str, stamp: str
    ) -> Iterator[dict[str, Any]]:
        """The records of `kind`, as they come, noting the newest of their `stamp` fields."""
        for record in records:
            moment = parse_moment(record.get(stamp))
            if moment is not None and (kind not in self.newest or moment > self.newest[kind]):
                self.newest[kind] = moment
            yield record

    def finish(
        self, settings: Settings, report: FinishedPull, *, people: Tally, requested_by: str
    ) -> int | None:
        """Record a pull that ran to its end, in one transaction: each object type's sync
        state moves on to the newest modification seen (never back), with when the pull ended
        and the report; then the follow-up of the leads (`people`) and events that arrived
        (`ingest.follow_up`). The follow-up job's id, None when nothing needs one."""
        result = report.as_json()
        with session_scope(self.engine, writes=True) as session:
            now = datetime.now(UTC)
            for object_type in self.object_types:
                state = sync_state(session, vendor=self.vendor, object_type=object_type)
                if object_type in self.newest:
                    state.modified_through = max(
                        filter(None, (state.modified_through, self.newest[object_type]))
                    )
                state.last_pull_at = now
                state.last_result = dict(result)
            job = after_arrivals(
                session,
                settings,
                leads=people.leads_created + people.leads_updated,
                events=report.events.events_created,
                import_ids=report.import_ids,
                requested_by=requested_by,
            )
            return job.id if job is not None else None


def storable(records: Iterable[dict[str, Any]], report: PullCounts) -> list[dict[str, Any]]:
    """The records a database can hold; the others are left out and counted in
    `report.unstorable`, so that one odd value does not stop the batch."""
    kept = []
    for record in records:
        if unstorable(record):
            report.unstorable += 1
            continue
        kept.append(record)
    return kept


def ingest_counted(
    session: Session,
    records: list[dict[str, Any]],
    *,
    report: PullCounts,
    tally: Tally,
    kind: str,
    source: str,
    name: str,
    explicit: dict[str, str],
) -> None:
    """Ingest one batch of records as one import (`records.ingest_records`), counted into
    `tally` and the report's quarantine reasons and imports."""
    ingested = ingest_records(
        session, records, kind=kind, source=source, name=name, explicit=explicit
    )
    tally.add(ingested)
    report.quarantine_reasons.update(ingested.quarantine_reasons)
    if ingested.import_id is not None:
        report.import_ids.append(ingested.import_id)
