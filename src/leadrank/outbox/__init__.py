"""The outbox: what leadrank tells the outside world (webhook endpoints, alert rules), written
in the same transaction as the change that caused it, and delivered later by the outlets."""
