"""Tasks for the queue tests: one that fails a given number of times before it succeeds, and
one that notes when it ran. Each keeps its record in a file named by its arguments."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from leadrank.jobs.tasks import Retry, Task, TaskContext


def _flaky(context: TaskContext) -> dict[str, Any]:
    tally = Path(context.arguments["tally"])
    runs = int(tally.read_text()) + 1 if tally.exists() else 1
    tally.write_text(str(runs))
    if runs <= int(context.arguments["fail_times"]):
        raise RuntimeError(f"failure {runs} of {context.arguments['fail_times']}")
    return {"runs": runs}


def _timed(context: TaskContext) -> dict[str, Any]:
    started = time.time()
    time.sleep(float(context.arguments["seconds"]))
    with Path(context.arguments["log"]).open("a") as log:
        log.write(json.dumps([context.arguments["name"], started, time.time()]) + "\n")
    return {}


FLAKY = Task(run=_flaky, retry=Retry(retries=2, exponential_wait=2))
FLAKY_ONCE_RETRIED = Task(run=_flaky, retry=Retry(retries=1, exponential_wait=1))
TIMED = Task(run=_timed)
