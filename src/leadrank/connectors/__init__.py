"""Connectors: pull leads and activity from vendor APIs and accept their webhooks; what they
bring goes the way every record goes, bronze first, then silver or quarantine."""
