"""Background jobs: deferred in the transaction of the rows they refer to, run by a runner."""
