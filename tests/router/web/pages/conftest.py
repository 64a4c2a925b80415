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


class LocalOnlyBrowser:
    """Chromium whose pages record every request they make, so that each browser test also
    proves the issue's "no page loads an asset from another host": the desk must work on a
    machine with no internet, and one CDN link would leave a page blank there."""

    def __init__(self, chromium) -> None:
        self.chromium = chromium
        self.requested: list[str] = []

    def new_page(self, **options):
        page = self.chromium.new_page(**options)
        page.on("request", lambda request: self.requested.append(request.url))
        return page

    def elsewhere(self) -> list[str]:
        local = ("http://127.0.0.1:", "http://localhost:", "data:", "blob:", "about:")
        return [url for url in self.requested if not url.startswith(local)]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        watched = LocalOnlyBrowser(chromium)
        yield watched
        chromium.close()
    assert watched.requested, "the test drove no page"
    assert watched.elsewhere() == [], "every request stays on the desk"


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
