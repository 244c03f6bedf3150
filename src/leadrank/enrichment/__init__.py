"""Enrichment: providers behind one interface, run as a waterfall per field group, cached,
rate-limited, budgeted and recorded, whose answers never silently overwrite user data."""
