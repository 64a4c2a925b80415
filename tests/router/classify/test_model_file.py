"""The model file holds arrays and a JSON header only: a pickle planted at the model
path (a tampered or old `.joblib` file) is refused with an error naming the file, and
is never unpickled, so the code it carries never runs."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from router.classify import load_model, train
from router.classify.model_file import ModelFileError

EXAMPLES = [("my wallet was drained, all USDT gone", "security", "critical"),
            ("钱包被盗了 币全没了", "security", "critical"),
            ("withdrawal not arrived after 5 hours", "transaction", "high"),
            ("提币没到账 已经三个小时了", "transaction", "high"),
            ("great app, love the design", "feedback", "low"),
            ("建议增加深色模式", "feedback", "low")]


class Payload:
    """Unpickling this creates `marker`: proof that loading a file ran its code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _plant(path: Path, marker: Path) -> Path:
    path.write_bytes(pickle.dumps({"format": 3, "vocab": Payload(marker)}))
    return path


def test_the_payload_would_run_if_unpickled(tmp_path):
    # The control: the planted bytes really are live, so the tests below mean something.
    marker = tmp_path / "control-ran"
    pickle.loads(_plant(tmp_path / "control.pkl", marker).read_bytes())
    assert marker.exists()


@pytest.mark.parametrize("name", ["triage-model.npz", "triage-model.joblib"])
def test_a_planted_pickle_is_refused_without_being_unpickled(tmp_path, name):
    marker = tmp_path / "payload-ran"
    path = _plant(tmp_path / name, marker)
    with pytest.raises(ModelFileError) as refused:
        load_model(path)
    assert str(path) in str(refused.value) and "pickle" in str(refused.value)
    assert not marker.exists(), "loading the model file ran the code pickled in it"


def test_a_pickled_array_inside_an_npz_is_refused_without_being_unpickled(tmp_path):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "triage-model.npz"
    header = np.frombuffer(json.dumps({"kind": "msgrouter-triage-model", "format": 3}).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:      # an object array is stored pickled inside the zip
        np.savez(fh, header=header, idf=np.array([Payload(marker)], dtype=object))
    with pytest.raises(ModelFileError, match=r"triage-model\.npz"):
        load_model(path)
    assert not marker.exists()


def test_the_cli_refuses_a_planted_model_with_one_line(tmp_path):
    marker = tmp_path / "payload-ran"
    path = _plant(tmp_path / "triage-model.npz", marker)
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"text": "my withdrawal has not arrived"}) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSGROUTER_")}
    env["MSGROUTER_MODEL_PATH"] = str(path)
    done = subprocess.run([sys.executable, "-m", "router.cli", "classify", "--jsonl", str(records)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert str(path) in done.stderr and "Traceback" not in done.stderr
    assert not marker.exists()


def test_a_saved_model_is_arrays_and_a_json_header(tmp_path):
    rows = [{"text": t, "channel": "chat", "category": c, "urgency": u} for t, c, u in EXAMPLES] * 3
    path = tmp_path / "m.npz"
    model = train(rows, path)
    with np.load(path, allow_pickle=False) as npz:     # would raise on any pickled member
        arrays = {name: npz[name] for name in npz.files}
    assert all(not a.dtype.hasobject for a in arrays.values())
    header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    assert header["kind"] == "msgrouter-triage-model" and header["format"] == 3
    assert header["msgrouter"] and header["categories"] == list(model.categories)
    assert sorted(header["vocabulary"]) == sorted(model.vocab)
