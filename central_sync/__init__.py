"""The central inventory and sync server."""
