"""kill -9 a real ``showrunner`` process mid-run, ``resume``, and compare with an uninterrupted run.

Same final canon (byte-identical digest), approvals intact, and no LLM call repeated except those of the
step in flight at the kill (the scripted responder appends every call to a call log).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from showrunner.memory.canon import Canon

PREMISE = "Two rival couriers share one airship over a flooded city"
ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash"}
MAX_STEP_WIDTH = 4  # the widest super-step: one director branch per scene (max_scenes)

pytestmark = pytest.mark.integration


def _env(log: Path, delay: float = 0.0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SHOWRUNNER_"))}
    return env | ENV | {"SHOWRUNNER_CALL_LOG": str(log), "SHOWRUNNER_SCRIPTED_DELAY": str(delay)}


def cli(log: Path, *args: str | Path, delay: float = 0.0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "showrunner.cli.main", *map(str, args)], capture_output=True,
                          text=True, env=_env(log, delay), timeout=180)
    assert proc.returncode == 0, proc.stderr
    return proc


def calls(log: Path) -> list[str]:
    return [json.loads(x)["prompt_id"] + ":" + json.loads(x)["sha"] for x in log.read_text().splitlines()]


def kill_after(log: Path, n_calls: int, *args: str | Path) -> None:
    """Start the CLI with slow LLM calls and kill -9 it once the call log holds ``n_calls`` lines."""
    proc = subprocess.Popen([sys.executable, "-m", "showrunner.cli.main", *map(str, args)],
                            env=_env(log, 0.12), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.is_file() and len(log.read_text().splitlines()) >= n_calls:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before the kill point"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def decisions(root: Path) -> list[tuple[str, int, str, str]]:
    lines = (root / "logs" / "decisions.jsonl").read_text().splitlines()
    return [(d["gate"], d["episode"], d["action"], d["notes"]) for d in map(json.loads, lines)]


def test_kill_9_then_resume_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    gates = ("--auto-approve", "script,storyboard,final")
    ref, ref_log = tmp_path / "ref", tmp_path / "ref.calls"
    cli(ref_log, "new", PREMISE, "--episodes", "2", "-p", ref, *gates)
    cli(ref_log, "approve", "-p", ref, "--notes", "bible ok")
    assert json.loads(cli(ref_log, "status", "-p", ref, "--json").stdout)["status"] == "done"

    run, run_log = tmp_path / "run", tmp_path / "run.calls"
    cli(run_log, "new", PREMISE, "--episodes", "2", "-p", run, *gates)
    assert len(calls(run_log)) == 1
    kill_after(run_log, 9, "approve", "-p", run, "--notes", "bible ok")   # inside episode 1
    after = json.loads(cli(run_log, "status", "-p", run, "--json").stdout)
    assert after["status"] == "stopped" and after["next"].startswith("showrunner resume -p ")  # not a bare "stopped"
    assert after["last_run"]["command"] == "showrunner approve" and after["last_run"]["state"] == "interrupted"
    kill_after(run_log, len(calls(run_log)) + 8, "resume", "-p", run)      # and again, later on
    out = json.loads(cli(run_log, "resume", "-p", run, "--json").stdout)
    assert out["status"] == "done" and out["completed"] == [1, 2]

    assert Canon(run / "canon").digest() == Canon(ref / "canon").digest()
    assert decisions(run) == decisions(ref)
    assert decisions(run)[0] == ("bible", 0, "approve", "bible ok")
    want, got = Counter(calls(ref_log)), Counter(calls(run_log))
    assert not want - got  # every call of the clean run happened
    repeated = got - want
    assert sum(repeated.values()) <= 2 * MAX_STEP_WIDTH, repeated  # at most the steps in flight at 2 kills
    assert len(calls(run_log)) > len(calls(ref_log)) - 1
