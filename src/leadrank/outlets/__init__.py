"""Outlets: outgoing webhooks and chat alerts, delivered from the outbox."""
