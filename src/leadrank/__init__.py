"""leadrank: a self-hosted B2B lead scoring and enrichment engine."""

__version__ = "0.1.0"
