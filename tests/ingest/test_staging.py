"""Uploads waiting for their mapping: kept apart until confirmed, back in place when the
confirming transaction rolls back, gone once it commits, only their own user's, a few per
user, and read once at upload (their head only), never when previewed."""

from __future__ import annotations

import io
import json
import os
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.errors import BadInput, Conflict, NotFound
from leadrank.ingest.staging import (
    MAX_STAGED_PER_USER,
    SAMPLE_ROWS,
    STAGED_DIR,
    discard_staged,
    preview_staged,
    queue_staged,
    stage_upload,
    waiting_uploads,
)
from leadrank.kit.readers import HEAD_BYTES
from leadrank.leads.column_mapping import KEEP, auto_map
from leadrank.orm import Import, Job
from tests.conftest import Workspace

CSV = b"Email,Name,Firm\nada@analytical.example,Ada Lovelace,Analytical Engines\n"


def _stage(data_dir: Path, *, user: int = 1, name: str = "fair.csv", body: bytes = CSV) -> str:
    staged = stage_upload(
        stream=io.BytesIO(body),
        file_name=name,
        source="",
        kind="auto",
        data_dir=data_dir,
        staged_by=user,
        now=datetime.now(UTC),
    )
    assert staged.source == Path(name).stem.lower()  # a blank source: the file's name
    return staged.token


def test_a_rolled_back_confirmation_puts_the_file_back(
    workspace: Workspace, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    token = _stage(data_dir)
    staged = preview_staged(data_dir=data_dir, token=token, staged_by=1).upload.path
    targets = ["email", "full_name", "company_name"]
    confirm = partial(
        queue_staged,
        data_dir=data_dir,
        token=token,
        staged_by=1,
        source="fair",
        kind="leads",
        targets=targets,
    )
    with pytest.raises(RuntimeError), session_scope(workspace.engine) as session:
        confirm(session)
        assert not staged.exists()  # moved into the uploads
        raise RuntimeError("the request failed after queueing")
    assert staged.read_bytes() == CSV  # back, to be confirmed again
    assert not any((data_dir / "uploads").iterdir())
    with session_scope(workspace.engine) as session:
        assert session.scalars(select(Import)).all() == []
        record = confirm(session, requested_by="user:1")
        import_id, job_id = record.id, record.job_id
    assert not (data_dir / STAGED_DIR / token).exists()
    with session_scope(workspace.engine) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.requested_by == "user:1"
        assert job.arguments["import_id"] == import_id
        assert job.arguments["mapping"] == dict(
            zip(["Email", "Name", "Firm"], targets, strict=True)
        )
        assert (data_dir / job.arguments["path"]).read_bytes() == CSV


def test_a_staged_upload_is_its_users_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    token = _stage(data_dir, user=1)
    for asked in ({"token": token, "staged_by": 2}, {"token": "../../etc", "staged_by": 1}):
        with pytest.raises(NotFound):
            preview_staged(data_dir=data_dir, **asked)  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            discard_staged(data_dir=data_dir, **asked)  # type: ignore[arg-type]
    assert preview_staged(data_dir=data_dir, token=token, staged_by=1).rows == 1
    assert [u.token for u in waiting_uploads(data_dir=data_dir, staged_by=1)] == [token]
    assert waiting_uploads(data_dir=data_dir, staged_by=2) == []


def test_bad_uploads_are_refused_before_anything_is_kept(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    for name in ("", "notes.docx"):
        with pytest.raises(BadInput):
            _stage(data_dir, name=name)
    with pytest.raises(BadInput):
        stage_upload(
            stream=io.BytesIO(CSV),
            file_name="a.csv",
            source="x" * 101,
            kind="auto",
            data_dir=data_dir,
            staged_by=1,
            now=datetime.now(UTC),
        )
    assert not (data_dir / STAGED_DIR).exists()
    with pytest.raises(BadInput, match="binary"):
        _stage(data_dir, body=b"\x00\x01\x02")
    assert not any((data_dir / STAGED_DIR).iterdir())  # an unreadable file is not kept


def test_uploads_nobody_confirms_are_removed_a_day_later(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    old, recent = _stage(data_dir), _stage(data_dir)
    day_and_more = time.time() - 25 * 3600
    os.utime(data_dir / STAGED_DIR / old, (day_and_more, day_and_more))
    _stage(data_dir)
    assert not (data_dir / STAGED_DIR / old).exists()
    assert (data_dir / STAGED_DIR / recent).exists()


def test_a_column_kept_as_an_attribute_is_not_mapped_by_its_header() -> None:
    mapping = auto_map(["Email", "Company", "Work Email"], "leads", {"Company": KEEP})
    assert "company_name" not in mapping.fields
    assert mapping.attributes == ["Company"]
    assert mapping.fields["email"] == ["Email", "Work Email"]


def test_a_preview_reads_what_the_upload_kept_and_changes_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    token = _stage(data_dir)
    folder = data_dir / STAGED_DIR / token
    before = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    # The file itself is not read again: what its head said at upload is shown.
    stored = preview_staged(data_dir=data_dir, token=token, staged_by=1).upload.path
    stored.write_bytes(b"\x00 not a table any more")
    before[stored] = stored.read_bytes()
    for kind in (None, "leads", "events"):
        preview = preview_staged(data_dir=data_dir, token=token, staged_by=1, kind=kind)
        assert [c.name for c in preview.columns] == ["Email", "Name", "Firm"]
        assert preview.columns[0].samples == ["ada@analytical.example"]
    after = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    assert after == before


def test_only_the_head_of_a_large_file_is_read_and_its_rows_are_not_counted(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    many = "Email,Name\n" + "".join(f"p{i}@example.com,Person {i}\n" for i in range(2_000))
    preview = preview_staged(
        data_dir=data_dir, token=_stage(data_dir, body=many.encode()), staged_by=1
    )
    assert preview.rows is None  # more than the head: the import counts them
    assert preview.columns[0].samples == ["p0@example.com", "p1@example.com", "p2@example.com"]
    # A file larger than the head, broken past it: the upload reads its head alone (the
    # import, which reads it all, will say what is wrong further on).
    line = json.dumps({"email": "ada@analytical.example", "note": "x" * 200}) + "\n"
    body = line * (HEAD_BYTES // len(line) + SAMPLE_ROWS) + '{"email": \n'
    token = _stage(data_dir, name="big.jsonl", body=body.encode())
    big = preview_staged(data_dir=data_dir, token=token, staged_by=1)
    assert big.rows is None and big.detected_kind == "leads"
    assert [c.name for c in big.columns] == ["email", "note"]


def test_a_user_holds_a_few_uploads_at_a_time(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    tokens = [_stage(data_dir) for _ in range(MAX_STAGED_PER_USER)]
    with pytest.raises(Conflict, match="start or cancel one") as refused:
        _stage(data_dir)
    assert refused.value.status_code == 409
    assert len(list((data_dir / STAGED_DIR).iterdir())) == MAX_STAGED_PER_USER  # none kept
    _stage(data_dir, user=2)  # another user's uploads are their own
    discard_staged(data_dir=data_dir, token=tokens[0], staged_by=1)
    _stage(data_dir)  # one cancelled: room for another
    waiting = waiting_uploads(data_dir=data_dir, staged_by=1)
    assert len(waiting) == MAX_STAGED_PER_USER and tokens[0] not in {u.token for u in waiting}
