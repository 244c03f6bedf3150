"""The failure every vendor client raises, under its own subclass (`InstantlyError`,
`HubSpotError`, `SalesforceError`): whether trying again later may work, and how long the
vendor asked to wait, so that a job knows to retry and when."""

from __future__ import annotations

import math

from leadrank.errors import AppError


class VendorError(AppError):
    """A vendor failed or answered something unusable. `retriable`: trying again later may
    work (rate limits, outages, timeouts), with `retry_after` seconds, rounded up to a whole
    second, when the vendor said so."""

    status_code = 502

    def __init__(
        self, message: str, *, retriable: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retriable = retriable
        self.retry_after = math.ceil(retry_after) if retry_after is not None else None
