"""What an ingestion reports back to the CLI and the API."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from leadrank.leads.column_mapping import ColumnMapping


@dataclass
class IngestReport:
    """Counts and decisions of one ingestion."""

    file_name: str
    source: str
    kind: str
    file_format: str
    mapping: ColumnMapping
    encoding: str | None = None
    delimiter: str | None = None
    dry_run: bool = False
    import_id: int | None = None
    repeat_of: int | None = None
    rows_read: int = 0
    rows_new: int = 0
    rows_duplicate: int = 0
    rows_retried: int = 0  # quarantined records sent again and processed again
    rows_quarantined: int = 0
    leads_created: int = 0
    leads_updated: int = 0
    leads_merged: int = 0  # new leads found to be an existing person by fuzzy matching
    pairs_to_review: int = 0  # likely duplicates waiting for `leadrank leads duplicates`
    companies_created: int = 0
    events_created: int = 0
    events_repeated: int = 0  # records of an event their source had already given (its id)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    issues: Counter[str] = field(default_factory=Counter)
