"""What the browser tests of the dashboard share: Debian's chromium driven by Playwright,
and the folder their screenshots go to.

Screenshots go to the test run's output folder, `test-output/screenshots/<test>/` beside
the checkout (MSGROUTER_TEST_OUTPUT moves it), kept after the run so CI can keep them as
artefacts and a reviewer can look at every page; pytest's tmp_path would bury them in a
temporary directory that the next run deletes."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import reset_caches
from dashboard import CHROMIUM
from support import free_port, serve_app

OUTPUT = Path(os.environ.get("MSGROUTER_TEST_OUTPUT", Path(__file__).parents[4] / "test-output"))


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def shots(request) -> Path:
    """This test's screenshot folder, emptied first so it holds this run's pages only."""
    folder = OUTPUT / "screenshots" / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def desk(worker, sink, smtp_port, monkeypatch):
    """The web app with a real worker, our SMTP server and the customer's sink, on a port
    known in advance: links in our mail (a rating link) name it through MSGROUTER_PUBLIC_URL."""
    from router.web.app import create_app

    port = free_port()
    monkeypatch.setenv("MSGROUTER_PUBLIC_URL", f"http://127.0.0.1:{port}")
    reset_caches()
    with serve_app(create_app(), port=port) as base:
        yield base
