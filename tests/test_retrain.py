"""`msgrouter train --with-corrections` as a desk runs it: a real process, agents'
corrections planted through the real correction path, a frozen file, and the model
promoted only when no worse on it; otherwise kept aside, with the reason, and both
models' figures in a `model_trained` event."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from channels.base import Inbound
from config.desk import get_desk
from router.classify import train
from router.desk.corrections import correct
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Event, Message

REPO = Path(__file__).resolve().parents[1]

# The frozen file of these tests: clear messages, written for them.
FROZEN = [
    ("my wallet was emptied tonight, 3 ETH went to an address I do not know and I sent nothing",
     "security", "critical", "en"),
    ("钱包里的USDT被人转走了，不是我操作的", "security", "critical", "zh"),
    ("a fake support account on telegram asked for my seed phrase, I gave it to him and now my coins are moving",
     "security", "critical", "en"),
    ("my withdrawal of 400 USDT has been pending for 9 hours", "transaction", "high", "en"),
    ("提现五个小时了还没到账", "transaction", "high", "zh"),
    ("I cannot log in, the verification code never arrives", "account", "high", "en"),
    ("the app crashes when I open the history page", "technical", "normal", "en"),
    ("what is the fee for withdrawing BTC", "policy", "normal", "en"),
    ("when does the next airdrop start", "promotion", "low", "en"),
    ("great app, thanks for the quick help", "feedback", "low", "en"),
    ("在吗", "general", "low", "zh"),
    ("nobody has answered my ticket for a week, this is unacceptable", "complaint", "normal", "en"),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Training records (a twelfth of the team's examples) and the model trained on them alone."""
    lines = (REPO / "config" / "triage-examples.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines[::12]]
    folder = tmp_path_factory.mktemp("base")
    examples = folder / "examples.jsonl"
    examples.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    train(records, folder / "model.npz")
    frozen = folder / "frozen.jsonl"
    frozen.write_text("".join(json.dumps({"id": f"f{i}", "channel": "chat", "text": t, "category": c, "urgency": u,
                                          "language": lang}, ensure_ascii=False) + "\n"
                              for i, (t, c, u, lang) in enumerate(FROZEN)), encoding="utf-8")
    return examples, folder / "model.npz", frozen


def _plant(labels: list[tuple[str, str]], customers: int = 1) -> None:
    """Each frozen message arrives from `customers` customers and a lead corrects its labels."""
    desk = get_desk()
    for text, *_ in FROZEN:
        for n in range(customers):
            key = hashlib.sha1(f"{n}:{text}".encode()).hexdigest()
            accept(Inbound(channel="chat", external_id=key, sender=f"c{key[:8]}", text=text))
    drain_inbound()
    wanted = {text: label for (text, *_), label in zip(FROZEN, labels, strict=True)}
    with session_scope() as session:
        lead = session.execute(select(Agent).where(Agent.name == "erin")).scalars().one()
        rows = session.execute(select(Conversation, Message.text).join(
            Message, Message.conversation_id == Conversation.id).where(Message.direction == "in")).all()
        assert len(rows) == len(FROZEN) * customers
        for conversation, text in rows:
            category, urgency = wanted[text]
            correct(session, conversation, lead, desk, category=category, urgency=urgency)


def _retrain(base, tmp_path) -> tuple[subprocess.CompletedProcess, Path]:
    examples, model, frozen = base
    target = tmp_path / "model.npz"
    target.write_bytes(model.read_bytes())
    result = subprocess.run([sys.executable, "-m", "router.cli", "train", "--with-corrections", "--jsonl",
                             str(examples), "--frozen", str(frozen), "-o", str(target)],
                            cwd=tmp_path, env=dict(os.environ), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    return result, target


def _event() -> dict:
    with session_scope() as session:
        events = session.execute(select(Event).where(Event.kind == "model_trained")).scalars().all()
        assert len(events) == 1 and events[0].conversation_id is None
        return events[0].data


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_corrections_that_agree_with_the_frozen_file_are_promoted(db_url, broker, base, tmp_path):
    _plant([(c, u) for _, c, u, _ in FROZEN])
    before = (base[1]).read_bytes()
    result, target = _retrain(base, tmp_path)
    assert "promoted:" in result.stdout and "NOT promoted" not in result.stdout, result.stdout
    assert f"({len(FROZEN)} from agents' corrections)" in result.stdout
    assert target.read_bytes() != before, "the new model replaced the old"
    assert not (tmp_path / "model.candidate.npz").exists()
    data = _event()
    assert data["promoted"] is True and data["corrections"] == len(FROZEN)
    for figures in (data["current"], data["candidate"]):
        assert set(figures) == {"category", "urgency", "language", "critical recall", "critical precision"}
    assert all(data["candidate"][k] >= data["current"][k] for k in data["current"])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_corrections_that_contradict_the_frozen_file_are_kept_aside(db_url, broker, base, tmp_path):
    # A lead who labels everything "general, low", thefts included, on many customers'
    # messages: enough of the training set that the candidate learns it (the rules alone
    # get most of the frozen file right, so a few wrong labels could pass unnoticed).
    _plant([("general", "low")] * len(FROZEN), customers=8)
    before = base[1].read_bytes()
    result, target = _retrain(base, tmp_path)
    assert "NOT promoted" in result.stdout, result.stdout
    assert target.read_bytes() == before, "the model in service is untouched"
    aside = tmp_path / "model.candidate.npz"
    assert aside.exists() and aside.read_bytes() != before
    data = _event()
    assert data["promoted"] is False and data["reason"].startswith("worse on the frozen file:")
    assert data["candidate_path"] == str(aside)
    worse = [k for k in data["current"] if data["candidate"][k] < data["current"][k]]
    assert worse and all(k in data["reason"] for k in worse)
    assert "not promoted" in result.stderr, "the reason is logged"
