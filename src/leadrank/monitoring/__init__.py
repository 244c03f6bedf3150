"""Prometheus metrics of the API and of scoring."""
