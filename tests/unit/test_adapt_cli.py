"""``showrunner adapt`` as a user runs it (real subprocesses, scripted LLM, hash embedder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXCERPT = Path(__file__).resolve().parents[2] / "tests" / "data" / "alice-ch1-2.txt"
ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash"}


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SHOWRUNNER_"))} | ENV
    return subprocess.run([sys.executable, "-m", "showrunner.cli.main", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=180)


def test_adapt_stops_at_the_adaptation_gate_and_approve_reaches_the_bible(tmp_path: Path) -> None:
    p = tmp_path / "P"
    out = cli("adapt", EXCERPT, "--episodes", "2", "--project", p, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["pending"]["gate"] == "adaptation"
    st = json.loads(cli("status", "-p", p, "--json").stdout)
    assert st["pending"]["gate"] == "adaptation" and st["per_episode"]["0"]["calls"] >= 5
    text = cli("review", "-p", p).stdout
    assert "episodes:" in text and "characters (" in text and "Alice" in text
    bad = cli("edit", "-p", p)  # no $EDITOR: refused, nothing changes
    assert bad.returncode == 2
    out = cli("approve", "-p", p, "--json")
    assert out.returncode == 0, out.stderr
    pend = json.loads(out.stdout)["pending"]
    assert pend["gate"] == "bible" and "alice" in {c["id"] for c in pend["artifact"]["characters"]}
    assert (p / "canon" / "facts.jsonl").is_file() and (p / "adaptation" / "plan.json").is_file()


def test_bad_input_is_one_line_exit_2_and_nothing_is_created(tmp_path: Path) -> None:
    (tmp_path / "book.docx").write_text("not supported")
    for args in (["adapt", tmp_path / "missing.txt"], ["adapt", tmp_path / "book.docx"],
                 ["adapt", EXCERPT, "--episodes", "0"], ["adapt", EXCERPT, "--episodes", "50"]):
        out = cli(*args, "--project", tmp_path / "P")
        assert out.returncode == 2 and out.stderr.startswith("error: ") and out.stderr.count("\n") == 1, out.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["book.docx"]
