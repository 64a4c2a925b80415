"""Secrets: what a wallet secret looks like, redaction at every door, the outbound guard."""
