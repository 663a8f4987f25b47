"""Kiosk side of the sync with central: the outbox of facts (outbox), push and pull (push, pull, client),
the cycle and the worker that runs it (runner), what is kept about it (state), its API (api)."""
