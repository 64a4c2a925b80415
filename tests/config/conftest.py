"""The settings tests' shared fixture: settings loaded from the environment they set."""
from __future__ import annotations

import pytest

from config.settings import get_settings


@pytest.fixture
def load(monkeypatch):
    """Load settings from the environment as a process does, with the given variables
    (None removes one)."""

    def _load(**env: str | None):
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(f"MSGROUTER_{name.upper()}", raising=False)
            else:
                monkeypatch.setenv(f"MSGROUTER_{name.upper()}", value)
        get_settings.cache_clear()
        return get_settings()

    yield _load
    get_settings.cache_clear()  # later tests must not see these settings
