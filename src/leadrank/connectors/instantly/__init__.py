"""Instantly (cold email): the API v2 client, `pull`, the webhook receiver and a fake server.

Sources used for endpoints, fields and limits:
- https://developer.instantly.ai/api-reference (OpenAPI: https://api.instantly.ai/openapi/api_v2.json)
- https://developer.instantly.ai/getting-started/rate-limit
- https://developer.instantly.ai/guides/webhook-events
"""
