"""Without the labelled corpus or the shipped model, the tests that need them skip on a
developer's machine and fail in CI, saying what is missing and where it was looked for."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()


def test_the_corpus_and_the_model_are_there(corpus, shipped_model):
    # The test the runs below point elsewhere; where the data is, it passes.
    assert corpus and all({"text", "category", "urgency"} <= set(r) for r in corpus)
    assert shipped_model.info["records"] > 0


def _pytest(ci: bool, **paths: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {k: str(p) for k, p in paths.items()}
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", f"{HERE}::test_the_corpus_and_the_model_are_there",
                           "-p", "no:cacheprovider", "-rs", "-q"], cwd=HERE.parents[3], env=env,
                          capture_output=True, text=True, timeout=240)


@pytest.mark.parametrize(("variable", "file_name", "what"), [
    ("MSGROUTER_TEST_CORPUS", "dev.jsonl", "labelled corpus not found at"),
    ("MSGROUTER_TEST_MODEL", "triage-model.npz", "no shipped model at"),
])
def test_missing_data_fails_in_ci_and_skips_elsewhere(tmp_path, variable, file_name, what):
    absent = tmp_path / "nowhere" / file_name
    in_ci = _pytest(True, **{variable: absent})
    assert in_ci.returncode == 1, in_ci.stdout + in_ci.stderr
    assert f"{what} {absent}" in in_ci.stdout and "1 error" in in_ci.stdout
    elsewhere = _pytest(False, **{variable: absent})
    assert elsewhere.returncode == 0, elsewhere.stdout + elsewhere.stderr
    assert f"{what} {absent}" in elsewhere.stdout and "1 skipped" in elsewhere.stdout
