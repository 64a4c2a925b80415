"""Hypothesis settings for the fuzz tests: few examples by default so the suite stays fast;
MSGROUTER_FUZZ_EXAMPLES raises them for a long local run (e.g. 2000)."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "msgrouter-fuzz",
    max_examples=int(os.environ.get("MSGROUTER_FUZZ_EXAMPLES", "60")),
    deadline=None,  # a shared two-core machine: timing says nothing about correctness here
    database=None,  # no example files in the checkout
    # The SMTP server and database fixtures are shared by the examples on purpose: each
    # example counts its own rows, and starting a server per example would cost seconds.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
    print_blob=True,
)
FUZZ = settings.get_profile("msgrouter-fuzz")
