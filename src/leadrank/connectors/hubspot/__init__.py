"""HubSpot CRM: the API v3 client (with v4 associations) and a fake HubSpot server."""
