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

from dashboard import CHROMIUM

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
