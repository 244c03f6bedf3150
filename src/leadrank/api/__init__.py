"""The HTTP plumbing shared by every route: one error shape, request ids, health."""
