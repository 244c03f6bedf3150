"""Enrichment providers: the Protocol, the offline built-ins, a fake, and vendor adapters."""
