"""Kiosk side of the sync with central: the outbox of facts to push."""
