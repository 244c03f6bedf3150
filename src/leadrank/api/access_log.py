"""The access log: one JSON line per request, written straight to stderr.

The line is the one structlog's chain in `kit.logs` renders for
`log.info("request", request_id=..., method=..., path=..., status=..., ms=...)`, key for key
and byte for byte apart from the time, but built with one format string: through structlog
that line cost about 12 µs, more than scoring a lead. Its values are leadrank's own (an id,
the method, the status, the time taken), which the masking of `kit.logs` leaves as they are,
and the path, masked as `kit.logs` masks it (`/leads/a***@acme.com`). A test holds the two
renderings equal.

The API's log is buffered: lines wait in memory and leave in one write a second (or every
`BUFFERED_LINES` lines, and when the process stops), as nginx's `access_log ... flush=1s`
does, since one write per request cost more than the rest of the line. A process killed
outright loses at most its last second of lines; errors are logged at once, apart.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii

from leadrank.kit.logs import mask_path

BUFFERED_LINES = 512


class AccessLog:
    """Writes the access line of each request, or nothing when turned off."""

    def __init__(self, *, enabled: bool, buffered: bool = False) -> None:
        self.enabled, self.buffered = enabled, buffered
        self._waiting: list[str] = []

    @classmethod
    def for_level(cls, *, enabled: bool, level: str, buffered: bool = False) -> AccessLog:
        """On when asked for and when `level` lets INFO lines through, as `kit.logs` would."""
        numeric = logging.getLevelName(level.upper())
        passes = not isinstance(numeric, int) or numeric <= logging.INFO
        return cls(enabled=enabled and passes, buffered=buffered)

    def flush(self) -> None:
        """Write the lines waiting in the buffer."""
        if self._waiting:
            lines, self._waiting = self._waiting, []
            stream = sys.stderr  # looked up each time, as print() does: tests capture it
            stream.write("".join(lines))
            stream.flush()

    def write(self, request_id: str, method: str, path: str, status: int, ms: float) -> None:
        """One line for one answered request."""
        if not self.enabled:
            return
        line = (
            f'{{"request_id": {encode_basestring_ascii(request_id)}, '
            f'"method": {encode_basestring_ascii(method)}, '
            f'"path": {encode_basestring_ascii(mask_path(path))}, "status": {status}, '
            f'"ms": {ms!r}, '
            f'"event": "request", "level": "info", "timestamp": "{_now()}"}}\n'
        )
        self._waiting.append(line)
        if not self.buffered or len(self._waiting) >= BUFFERED_LINES:
            self.flush()


def _now() -> str:
    return datetime.now(tz=UTC).isoformat().replace("+00:00", "Z")
