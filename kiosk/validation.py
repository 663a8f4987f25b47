"""JSON bodies of the kiosk API (parsed as central_sync.protocol parses every body of the contract)."""
from central_sync.protocol import Body, parse_body

__all__ = ["Body", "parse_body"]
