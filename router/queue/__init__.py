"""Intake and queue mechanics: a message made durable, the doorbell, claims, the drain and its
set-based pipeline, the periodic tick."""
