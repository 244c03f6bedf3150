"""Uploads held back until a person has checked their column mapping.

The web app keeps an uploaded file here while its user reads the mapping `ingest --dry-run`
would use and corrects it; confirming moves the file into the uploads and queues its import
with that mapping (`uploads.queue_stored`), in one transaction: if it rolls back, the file
goes back here to be confirmed again. Nothing is written to the database before that.

The file's head (its first SAMPLE_ROWS records, a few MB at most) is read once, when it is
uploaded: its columns, detected kind and sample values are kept beside it, so showing the
mapping again reads no more of the file. Its rows are not counted then (a file may hold a
gigabyte): the import counts them as it loads, unless the head is the whole file. A column
first seen past the head (a key of a later JSON record) is mapped as `ingest` maps it. A
file whose head cannot be read is refused at once and not kept; one broken further on fails
its import, which says where. A user holds at most
MAX_STAGED_PER_USER files here at a time.

A file its user cancels is removed at once. One nobody confirms is removed KEPT_FOR later,
but only when someone uploads again (no job sweeps this folder): until then it stays on disk,
out of every page and list but its user's.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from sqlalchemy.orm import Session

from leadrank.errors import BadInput, Conflict, NotFound
from leadrank.ingest.render import KEY_FIELDS
from leadrank.ingest.service import (
    MAX_SOURCE_CHARS,
    checked_mapping,
    clean_source,
    detect_kind,
    file_columns,
)
from leadrank.ingest.uploads import checked_upload, queue_stored, upload_folder, when_it_ends
from leadrank.kit.readers import read_head
from leadrank.leads.column_mapping import IGNORE, KEEP, ColumnMapping, auto_map, synonyms_for
from leadrank.orm import Import

STAGED_DIR = "staged-uploads"
KEPT_FOR = timedelta(days=1)
SAMPLES = 3  # values shown per column
SAMPLE_CHARS = 80
SAMPLE_ROWS = 1_000  # rows looked through for them: the head of the file read
MAX_STAGED_PER_USER = 5
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_ABOUT = "upload.json"  # beside the folder `file`, which holds the upload under its own name


@dataclass(frozen=True)
class StagedUpload:
    """A file uploaded and kept until its mapping is confirmed."""

    token: str
    file_name: str
    source: str
    kind: str  # as asked at upload: auto, leads or events
    staged_by: int  # the user's id: only they see it
    staged_at: datetime
    path: Path


@dataclass(frozen=True)
class ColumnChoice:
    """One column of a staged file: where it goes, and a few of its values."""

    name: str
    target: str  # a field of the kind, IGNORE ("-") or KEEP ("+": a custom attribute)
    samples: list[str]


@dataclass(frozen=True)
class UploadPreview:
    """A staged file as it would be imported: its kind, and each column's target."""

    upload: StagedUpload
    kind: str  # leads | events: the kind the targets are fields of
    detected_kind: str
    file_format: str
    rows: int | None  # None: counted when the file is imported
    columns: list[ColumnChoice]
    fields: list[str]  # the fields of `kind`, the choices besides IGNORE and KEEP
    missing: list[str]  # fields worth having that no column feeds


def stage_upload(
    *,
    stream: BinaryIO,
    file_name: str,
    source: str,
    kind: str,
    data_dir: Path,
    staged_by: int,
    now: datetime,
) -> StagedUpload:
    """Keep an uploaded file until its mapping is confirmed, with what its head says (its
    columns, kind and samples). Unsupported file types, kinds and sources are refused before
    anything is stored (a blank source: the file's name), as is a user's upload past
    MAX_STAGED_PER_USER (Conflict); a file whose head cannot be read is not kept (BadInput)."""
    name = checked_upload(file_name, kind)
    source = clean_source(source.strip() or Path(name).stem[:MAX_SOURCE_CHARS])
    root = data_dir / STAGED_DIR
    _sweep(root, now)
    # Two uploads at the same instant may both pass: the limit bounds the disk, not exactly.
    if len(waiting_uploads(data_dir=data_dir, staged_by=staged_by)) >= MAX_STAGED_PER_USER:
        raise Conflict(
            f"you already have {MAX_STAGED_PER_USER} uploads waiting for their columns to be "
            "checked: start or cancel one of them before uploading another"
        )
    token = secrets.token_hex(16)
    folder = root / token
    stored = folder / "file" / name
    try:
        stored.parent.mkdir(parents=True)
        with stored.open("wb") as out:
            shutil.copyfileobj(stream, out, length=1024 * 1024)
        about = {
            "file_name": name,
            "source": source,
            "kind": kind,
            "staged_by": staged_by,
            "staged_at": now.isoformat(),
            "plan": _plan(stored),
        }
        _write_about(folder, about)
    except (OSError, BadInput):  # unreadable, a full disk, a data directory not writable
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _staged(token, about, stored)


def waiting_uploads(*, data_dir: Path, staged_by: int) -> list[StagedUpload]:
    """The uploads `staged_by` has waiting for their mapping, oldest first."""
    root = data_dir / STAGED_DIR
    found = []
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            found.append(_staged(folder.name, *_about(data_dir, folder.name, staged_by)))
        except NotFound:  # another user's, or not finished being written
            continue
    return sorted(found, key=lambda upload: upload.staged_at)


def preview_staged(
    *,
    data_dir: Path,
    token: str,
    staged_by: int,
    kind: str | None = None,
    chosen: list[str] | None = None,
) -> UploadPreview:
    """A staged file's detected kind and column mapping (as `ingest --dry-run` finds them,
    or as `kind` maps it), with sample values; `chosen` targets (one per column, in order)
    show over the detected ones. Reads only what was kept at upload, never the file."""
    about, stored = _about(data_dir, token, staged_by)
    upload = _staged(token, about, stored)
    plan = about["plan"]
    headers: list[str] = plan["columns"]
    kind = kind or (upload.kind if upload.kind != "auto" else plan["detected_kind"])
    if kind not in ("leads", "events"):
        raise BadInput(f"unknown kind {kind!r}; use leads or events")
    targets = _targets(auto_map(headers, kind))
    fields = list(synonyms_for(kind))
    allowed = {*fields, IGNORE, KEEP}
    picked = zip(headers, chosen or [], strict=False)
    targets.update((column, target) for column, target in picked if target in allowed)
    fed = {t for t in targets.values() if t not in (IGNORE, KEEP)}
    missing = [name for name in KEY_FIELDS[kind] if name not in fed]
    if {"first_name", "last_name"} & fed:
        missing = [name for name in missing if name != "full_name"]  # the parts make the name
    return UploadPreview(
        upload=upload,
        kind=kind,
        detected_kind=plan["detected_kind"],
        file_format=plan["file_format"],
        rows=plan["rows"],
        columns=[ColumnChoice(c, targets[c], plan["samples"].get(c, [])) for c in headers],
        fields=fields,
        missing=missing,
    )


def queue_staged(
    session: Session,
    *,
    data_dir: Path,
    token: str,
    staged_by: int,
    source: str,
    kind: str,
    targets: list[str],
    requested_by: str | None = None,
) -> Import:
    """Queue the import of a staged file with its columns going to `targets` (one per column,
    in the file's order: a field of `kind`, IGNORE or KEEP). The file moves into the uploads;
    it comes back here if `session` rolls back, and its staging is gone once it commits."""
    preview = preview_staged(data_dir=data_dir, token=token, staged_by=staged_by, kind=kind)
    headers = [column.name for column in preview.columns]
    if len(targets) != len(headers):
        raise BadInput(f"the file has {len(headers)} columns; {len(targets)} targets were sent")
    columns = dict(zip(headers, targets, strict=True))
    checked_mapping(headers, preview.kind, columns, file_name=preview.upload.file_name)
    source = clean_source(source)
    staged = preview.upload.path
    folder = upload_folder(session, data_dir)
    stored = folder / staged.name
    folder.mkdir(parents=True)
    try:
        staged.replace(stored)  # the same data directory: a rename, however large
    except FileNotFoundError:  # confirmed twice at once: the other request took it
        shutil.rmtree(folder, ignore_errors=True)
        raise NotFound("this upload was imported already; see the list of imports") from None

    def put_back() -> None:
        if stored.exists():
            stored.replace(staged)

    # Ahead of upload_folder's action, which removes the folder the file is in.
    when_it_ends(session, "after_rollback", put_back, first=True)
    when_it_ends(
        session,
        "after_commit",
        lambda: shutil.rmtree(data_dir / STAGED_DIR / token, ignore_errors=True),
    )
    return queue_stored(
        session,
        stored=stored,
        source=source,
        kind=preview.kind,
        data_dir=data_dir,
        requested_by=requested_by,
        columns=columns,
    )


def discard_staged(*, data_dir: Path, token: str, staged_by: int) -> None:
    """Remove a staged upload (NotFound unless it is `staged_by`'s)."""
    _about(data_dir, token, staged_by)
    shutil.rmtree(data_dir / STAGED_DIR / token, ignore_errors=True)


def _plan(stored: Path) -> dict[str, Any]:
    """What previews need of a file, from its head: its columns, detected kind and sample
    values, and its rows when the head is all of it."""
    head = read_head(stored, SAMPLE_ROWS)
    headers = file_columns(head.table)
    return {
        "columns": headers,
        "detected_kind": detect_kind(headers),
        "file_format": head.table.file_format,
        "rows": head.table.height if head.whole else None,
        "samples": {c: _samples(head.table.frame[c]) for c in headers},
    }


def _samples(column: pl.Series) -> list[str]:
    values: list[str] = []
    for value in column.drop_nulls().str.strip_chars().to_list():
        if value and value not in values:
            values.append(value if len(value) <= SAMPLE_CHARS else value[: SAMPLE_CHARS - 1] + "…")
            if len(values) == SAMPLES:
                break
    return values


def _targets(mapping: ColumnMapping) -> dict[str, str]:
    """Each mapped column's target: its field, KEEP for an attribute, IGNORE."""
    targets = dict.fromkeys(mapping.attributes, KEEP)
    targets.update((column, IGNORE) for column in mapping.ignored)
    for name, columns in mapping.fields.items():
        targets.update((column, name) for column in columns)
    return targets


def _about(data_dir: Path, token: str, staged_by: int) -> tuple[dict[str, Any], Path]:
    """What was kept about a staged upload, and where its file is; NotFound when there is
    no such upload, another user's, one still being stored, or one whose file is gone."""
    gone = NotFound("this upload is no longer waiting: upload the file again")
    if not _TOKEN.match(token):
        raise gone
    folder = data_dir / STAGED_DIR / token
    try:
        about = json.loads((folder / _ABOUT).read_text("utf-8"))
    except (OSError, ValueError):
        raise gone from None
    stored = folder / "file" / about["file_name"]
    if about["staged_by"] != staged_by or "plan" not in about or not stored.is_file():
        raise gone
    return about, stored


def _staged(token: str, about: dict[str, Any], stored: Path) -> StagedUpload:
    return StagedUpload(
        token=token,
        file_name=about["file_name"],
        source=about["source"],
        kind=about["kind"],
        staged_by=about["staged_by"],
        staged_at=datetime.fromisoformat(about["staged_at"]),
        path=stored,
    )


def _write_about(folder: Path, about: dict[str, Any]) -> None:
    """Write the upload's description whole or not at all: until it is, the upload is not
    there for anyone (not even in its own user's list)."""
    written = folder / f"{_ABOUT}.{secrets.token_hex(4)}"
    written.write_text(json.dumps(about, ensure_ascii=False), "utf-8")
    written.replace(folder / _ABOUT)


def _sweep(root: Path, now: datetime) -> None:
    """Remove staged uploads nobody confirmed in KEPT_FOR."""
    if not root.is_dir():
        return
    for folder in root.iterdir():
        try:
            changed = datetime.fromtimestamp(folder.stat().st_mtime, UTC)
        except OSError:
            continue
        if now - changed > KEPT_FOR:
            shutil.rmtree(folder, ignore_errors=True)
