"""Salesforce (CRM): a REST API client for reading leads and writing scores back, and a fake org."""
