"""Files uploaded over HTTP and models trained over HTTP, both as background jobs run by the
server itself: the whole flow a user scripts, against a real server on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from leadrank.sample.generator import generate_workspace
from tests.conftest import CliResult, Workspace
from tests.server import Server

LABEL = "meeting_booked or deal_won within 120d"


def _key(cli: Callable[..., CliResult], role: str) -> dict[str, str]:
    return {"X-API-Key": cli("keys", "create", "--role", role).stdout.strip().splitlines()[-1]}


def _wait(client: httpx.Client, url: str, headers: dict[str, str], until: set[str]) -> Any:
    deadline = time.monotonic() + 180
    while True:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if body["status"] in until:
            return body
        assert time.monotonic() < deadline, f"{url} still {body['status']}"
        time.sleep(0.1)


def test_upload_files_follow_imports_then_train_in_the_background(
    workspace: Workspace,
    cli: Callable[..., CliResult],
    start_server: Callable[..., Server],
    tmp_path: Path,
) -> None:
    writer, reader, admin = (_key(cli, role) for role in ("writer", "reader", "admin"))
    server = start_server()
    client = server.client
    manifest = generate_workspace(tmp_path / "sample", leads=1_200, seed=11)
    imports = []
    for item in sorted(manifest.files, key=lambda f: f.kind != "leads"):
        with (tmp_path / "sample" / item.name).open("rb") as handle:
            answer = client.post(
                "/api/v1/imports",
                headers=writer,
                files={"file": (item.name, handle)},
                data={"source": item.vendor, "kind": item.kind},
            )
        assert answer.status_code == 202, answer.text
        queued = answer.json()
        assert queued["status"] in ("queued", "running", "done") and queued["job_id"]
        assert queued["file_name"] == item.name
        imports.append(queued)
    finished = [
        _wait(client, f"/api/v1/imports/{i['id']}", reader, {"done", "failed"}) for i in imports
    ]
    assert {i["status"] for i in finished} == {"done"}, [i["error"] for i in finished]
    assert sum(i["leads_created"] for i in finished) > 1_000
    assert sum(i["events_created"] for i in finished) > 1_000
    # Messy vendor files hold rows nobody could be found in: they wait in quarantine.
    kept = next(i for i in finished if i["rows_quarantined"])
    assert sum(kept["quarantine_reasons"].values()) >= kept["rows_quarantined"]
    page = client.get(
        f"/api/v1/imports/{kept['id']}/quarantine", headers=reader, params={"limit": 1}
    ).json()
    assert page["total"] == kept["rows_quarantined"] and len(page["items"]) == 1
    assert page["items"][0]["reasons"] and page["items"][0]["record"]
    if page["total"] > 1:
        after = client.get(
            f"/api/v1/imports/{kept['id']}/quarantine",
            headers=reader,
            params={"after": page["next_after"]},
        ).json()
        assert after["items"][0]["id"] > page["items"][0]["id"]
    newest = sorted((i["id"] for i in imports), reverse=True)
    listed = client.get("/api/v1/imports", headers=reader, params={"limit": 2}).json()
    assert [i["id"] for i in listed["items"]] == newest[:2] and listed["next_before"] == newest[1]
    older = client.get(
        "/api/v1/imports", headers=reader, params={"limit": 2, "before": listed["next_before"]}
    ).json()
    assert [i["id"] for i in older["items"]] == newest[2:4]
    whole = client.get("/api/v1/imports", headers=reader, params={"limit": 200}).json()
    assert len(whole["items"]) == len(imports) and whole["next_before"] is None
    jobs = client.get("/api/v1/jobs", headers=reader, params={"task": "import_file"}).json()
    assert {j["status"] for j in jobs["items"]} == {"succeeded"}
    assert all(j["requested_by"] == writer["X-API-Key"][3:11] for j in jobs["items"])
    # Where the server keeps uploads is its own business: no absolute path is shown.
    assert all(not Path(j["arguments"]["path"]).is_absolute() for j in jobs["items"])

    refused = client.post("/api/v1/models/train", headers=writer, json={"label": LABEL})
    assert refused.status_code == 403
    queued = client.post(
        "/api/v1/models/train",
        headers=admin,
        json={"label": LABEL, "name": "meetings", "time_budget": 0},
    )
    assert queued.status_code == 202, queued.text
    job = _wait(client, f"/api/v1/jobs/{queued.json()['id']}", reader, {"succeeded", "failed"})
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["model"] == "meetings:v1" and job["result"]["mature"] > 0
    assert job["progress"] == {"stage": "train", "done": 1, "total": 1}
    model = client.get("/api/v1/models/meetings:v1", headers=reader).json()
    assert model["stage"] == "active" and model["evaluation"]["roc_auc"] > 0.5


def test_uploads_and_training_refuse_what_cannot_work(
    workspace: Workspace,
    cli: Callable[..., CliResult],
    start_server: Callable[..., Server],
    tmp_path: Path,
) -> None:
    writer, reader, admin = (_key(cli, role) for role in ("writer", "reader", "admin"))
    client = start_server(api_max_upload_bytes=4096).client
    upload = {"data": {"source": "show"}}
    odd = client.post("/api/v1/imports", headers=writer, files={"file": ("x.exe", b"a")}, **upload)
    assert odd.status_code == 400 and "unsupported file type" in odd.json()["error"]["message"]
    big = client.post(
        "/api/v1/imports", headers=writer, files={"file": ("x.csv", b"a" * 5000)}, **upload
    )
    assert big.status_code == 413
    as_reader = client.post(
        "/api/v1/imports", headers=reader, files={"file": ("x.csv", b"email\n")}, **upload
    )
    assert as_reader.status_code == 403
    two = [("file", ("a.csv", b"email\na@x.io\n")), ("file", ("b.csv", b"email\nb@x.io\n"))]
    several = client.post("/api/v1/imports", headers=writer, files=two, **upload)
    assert several.status_code == 422, several.text
    assert several.json()["error"]["path"] == "$.file" and "one file" in several.text
    long_name = "x" * 300 + ".csv"
    kept = client.post(
        "/api/v1/imports", headers=writer, files={"file": (long_name, b"email\n")}, **upload
    )
    assert kept.status_code == 202, kept.text
    assert kept.json()["file_name"] == "x" * 196 + ".csv"
    uploads = tmp_path / "data" / "uploads"  # the workspace fixture's data directory
    assert [len(list(folder.iterdir())) for folder in uploads.iterdir()] == [1]  # no empty one
    nameless = client.post("/api/v1/imports", headers=writer, files={"file": ("x.csv", b"e\n")})
    assert nameless.status_code == 422 and "source" in nameless.json()["error"]["path"]
    assert client.get("/api/v1/imports/99", headers=reader).status_code == 404
    assert client.get("/api/v1/jobs/99", headers=reader).status_code == 404

    unreadable = client.post("/api/v1/models/train", headers=admin, json={"label": "good ones"})
    assert unreadable.status_code == 400 and "within N days" in unreadable.text
    # A label the workspace has no events of is found out by the job, which keeps the error.
    queued = client.post("/api/v1/models/train", headers=admin, json={"label": "won within 9d"})
    assert queued.status_code == 202
    job_url = f"/api/v1/jobs/{queued.json()['id']}"
    failed = _wait(client, job_url, reader, {"succeeded", "failed"})
    assert failed["status"] == "failed" and failed["error"]
    assert client.post(f"{job_url}/retry", headers=writer).status_code == 403
    retried = client.post(f"{job_url}/retry", headers=admin)
    assert retried.status_code == 202 and retried.json()["status"] in (
        "queued",
        "running",
        "failed",
    )
    again = _wait(client, job_url, reader, {"succeeded", "failed"})
    # Run again, its retries anew: bad input is not retried, so one attempt each time.
    assert (again["status"], again["attempts"]) == ("failed", 1)
    assert again["finished_at"] > failed["finished_at"]
    done_already = client.post(f"/api/v1/jobs/{queued.json()['id'] + 50}/retry", headers=admin)
    assert done_already.status_code == 404


def test_an_import_whose_job_a_runner_took_is_running(
    workspace: Workspace, start_server: Callable[..., Server]
) -> None:
    from sqlalchemy import update

    from leadrank.db.engine import session_scope
    from leadrank.orm import Job

    client = start_server(run_jobs=False).client  # nothing runs it here: a runner elsewhere does
    sent = client.post(
        "/api/v1/imports",
        data={"source": "crm"},
        files={"file": ("list.csv", b"Email,First Name\nann@initech.com,Ann\n")},
    )
    assert sent.status_code == 202, sent.text
    made = sent.json()
    assert made["status"] == "queued"
    with session_scope(workspace.engine) as session:
        session.execute(update(Job).where(Job.id == made["job_id"]).values(status="running"))
    seen = client.get(f"/api/v1/imports/{made['id']}").json()
    assert seen["status"] == "running", "its row says queued until the import commits"
    running = client.get("/api/v1/imports", params={"status": "running"}).json()["items"]
    assert [i["id"] for i in running] == [made["id"]] and running[0]["status"] == "running"
    assert client.get("/api/v1/imports", params={"status": "queued"}).json()["items"] == []
