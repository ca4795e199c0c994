"""Reusers of the open data: their API keys, the quotas every open data API applies (docs/reusers.md)."""
