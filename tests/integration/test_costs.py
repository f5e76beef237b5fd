"""Costs add up (issue 12 item 10): one meter for every LLM call and render, one set of totals everywhere.

A scripted series is run as a user runs it: interactive gates (episode 1 rendered at its storyboard gate),
a retake of one shot, a nightly run. Then the ledger's totals equal ``status --json``'s, the night report's
and the estimate's history, renders included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from showrunner.memory.canon import Canon
from showrunner.pipelines import nightly, series
from showrunner.pipelines.estimate import complete_episodes
from showrunner.pipelines.ledger import Ledger
from showrunner.pipelines.project import Project
from showrunner.testing import ScriptedLLM, story_responder

pytestmark = pytest.mark.integration
ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash"}


def cli(root: Path, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SHOWRUNNER_"))} | ENV
    proc = subprocess.run([sys.executable, "-m", "showrunner.cli.main", *args, "--project", str(root)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout)) if "--json" in args else {"text": proc.stdout}


def test_ledger_status_report_and_estimate_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    root = tmp_path / "series"
    llm = ScriptedLLM(story_responder)
    series.new_series(root, "A lighthouse keeper's daughter finds a map", 3, llm=llm)
    for _ in range(4):  # bible, script 1, storyboard 1 (rendered here, interactively), final 1
        series.continue_series(root, {"action": "approve"}, llm=llm)
    ledger = Ledger(root / "logs" / "ledger.jsonl")
    shots = Canon(root / "canon").storyboard(1) or []
    live = [r for r in ledger.entries(kind="render", episode=1) if r.get("stage") != "tts"]  # frames, not lines
    assert len(live) == len(shots) > 0 and all(r["stage"] == "keyframe" and not r.get("draft") for r in live)

    retake = cli(root, "render", "--episode", "1", "--shot", shots[0].id, "--force", "--json")
    assert retake["rendered"] == 1
    assert len(ledger.entries(kind="render", episode=1, node="render")) == 1  # the retake is booked too
    cli(root, "nightly", "--episodes", "1")

    total = ledger.total()
    drafted_frames = [r for r in ledger.entries(kind="render", draft=True) if r.get("stage") != "tts"]
    lines = [r for r in ledger.entries(kind="render") if r.get("stage") == "tts"]
    sheets = [r for r in ledger.entries(kind="render") if r.get("stage") == "reference" and not r.get("draft")]
    assert sheets  # the bible gate's reference sheets and plates are booked like any render
    assert total.renders == len(shots) + 1 + len(drafted_frames) + len(sheets) and total.calls > 0
    assert total.lines == len(lines) > 0  # spoken lines are booked, apart from frames
    status = cli(root, "status", "--json")
    assert status["totals"] == total.as_dict()
    per_episode = {int(k): v for k, v in status["per_episode"].items()}
    assert per_episode[1]["renders"] == len(shots) + 1 and per_episode[1]["calls"] > 0

    night = nightly.last_night(Project.open(root))
    assert night is not None
    drafted = ledger.total(night=night["night"])
    assert night["actual"] == drafted.as_dict() and drafted.renders > 0
    report = cli(root, "report")["text"]
    assert f"{drafted.calls} LLM calls, {drafted.tokens} tokens" in report and f"{drafted.renders} renders" in report

    est = cli(root, "estimate", "--episodes", "1", "--json")
    done = complete_episodes(Project.open(root))
    assert est["history_episodes"] == len(done) and 1 in done
    history = [r for r in ledger.entries() if r.get("episode") in done]
    renders = sum(r["kind"] == "render" and r.get("stage") != "tts" for r in history)  # lines count apart
    assert est["per_episode"]["renders"] == pytest.approx(renders / len(done), abs=1e-5)
