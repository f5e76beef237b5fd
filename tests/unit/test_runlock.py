"""The project run lock: an OS-level lock that admits one holder, records it, and dies with its process."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from showrunner.errors import ProjectError
from showrunner.pipelines.project import Project
from showrunner.pipelines.runlock import hold, last_run

ROUNDS = 200
WORKERS = 3


def _contender(root: str, barrier: Any, inside: Any, worst: Any, wins: Any) -> None:
    """Each round: wait for the others, then all try the lock at the same instant."""
    for _ in range(ROUNDS):
        barrier.wait()
        try:
            with hold(Path(root), "contender"):
                with inside.get_lock():
                    inside.value += 1
                    worst.value = max(worst.value, inside.value)
                time.sleep(0.001)
                with inside.get_lock():
                    inside.value -= 1
                with wins.get_lock():
                    wins.value += 1
        except ProjectError:
            pass
        barrier.wait()


def test_three_processes_started_together_never_hold_the_lock_twice(tmp_path: Path) -> None:
    root = Project.create(tmp_path / "s").root
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(WORKERS)
    inside, worst, wins = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Value("i", 0)
    procs = [ctx.Process(target=_contender, args=(str(root), barrier, inside, worst, wins)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert all(p.exitcode == 0 for p in procs)
    assert worst.value == 1  # never two holders at once, in any of the rounds
    assert ROUNDS <= wins.value <= ROUNDS * WORKERS  # every round had a holder


def test_a_second_holder_is_refused_with_the_holders_command(tmp_path: Path) -> None:
    p = Project.create(tmp_path / "s")
    with p.lock("showrunner approve"):
        run = last_run(p.root)
        assert run is not None and run["state"] == "running" and run["pid"] == os.getpid()
        with pytest.raises(ProjectError, match=r"busy: showrunner approve \(pid \d+\) holds the lock"):
            with p.lock("showrunner nightly"):
                pass
    run = last_run(p.root)
    assert run is not None and run["state"] == "finished" and run["command"] == "showrunner approve"
    with pytest.raises(ProjectError):
        with p.lock("showrunner resume"):
            raise ProjectError("nothing to resume")
    failed = last_run(p.root)
    assert failed is not None and failed["state"] == "failed" and failed["error"] == "nothing to resume"


def test_kill_9_the_holder_and_the_next_run_starts_at_once(tmp_path: Path) -> None:
    root = Project.create(tmp_path / "s").root
    code = ("import sys, time; from pathlib import Path; from showrunner.pipelines.runlock import hold\n"
            "with hold(Path(sys.argv[1]), 'showrunner approve'):\n    print('held', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ProjectError, match="busy: showrunner approve"):
            with hold(root, "showrunner resume"):
                pass
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        holder.kill()
    run = last_run(root)
    assert run is not None and run["state"] == "interrupted" and run["command"] == "showrunner approve"
    with hold(root, "showrunner resume"):  # non-blocking: it succeeds now or raises, it never waits
        assert last_run(root)["state"] == "running"  # type: ignore[index]


def test_leftover_lock_file_content_never_blocks(tmp_path: Path) -> None:
    p = Project.create(tmp_path / "s")
    p.lock_path.write_text('{"pid": 1, "host": "elsewhere"')  # what the old lock or a torn write left
    with p.lock("showrunner resume") as record:
        assert record["command"] == "showrunner resume"
