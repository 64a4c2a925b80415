"""Outbound delivery: the outbox, its receipts, retries and replays, what may be written to whom."""
