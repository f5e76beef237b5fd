"""Nightly drafts end to end: the real graph, the scripted story responder, the hash embedder, the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from showrunner.config import load_settings
from showrunner.io import read_jsonl
from showrunner.memory.canon import Canon
from showrunner.pipelines import nightly, series
from showrunner.pipelines.ledger import project_ledger
from showrunner.pipelines.project import Project
from showrunner.pipelines.runlock import last_run
from showrunner.testing import ScriptedLLM, story_responder

PREMISE = "A lighthouse keeper's daughter finds a map to a drowned city"
ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash"}


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-episode series with the bible and episode 1 approved, waiting at episode 2's script gate."""
    root = tmp_path_factory.mktemp("tpl") / "series"
    llm = ScriptedLLM(story_responder)
    with pytest.MonkeyPatch.context() as mp:  # module scope: no leaking env into later test files
        for k, v in ENV.items():
            mp.setenv(k, v)
        series.new_series(root, PREMISE, 4, llm=llm)
        for _ in range(4):  # bible, script 1, storyboard 1, final 1
            res = series.continue_series(root, {"action": "approve"}, llm=llm)
    assert res["pending"]["episode"] == 2 and Canon(root / "canon").episode_numbers() == [1]
    return root


@pytest.fixture
def project(_template: Path, tmp_path: Path) -> Project:
    shutil.copytree(_template, tmp_path / "series")
    return Project.open(tmp_path / "series")


def cli(project: Project, *args: str, extra_env: dict[str, str] | None = None,
        background: bool = False) -> subprocess.CompletedProcess[str] | subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "showrunner.cli.main", "nightly", "--project", str(project.root), *args]
    env = {**os.environ, **ENV, **(extra_env or {})}
    if background:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def series_cli(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "showrunner.cli.main", *args, "--project", str(project.root)]
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **ENV})


def statuses(project: Project) -> dict[int, str]:
    return {int(k): v["status"] for k, v in nightly.load_queue(project).items()}


def no_torn_drafts(project: Project) -> None:
    for path in project.drafts_dir.rglob("*.json"):
        json.loads(path.read_text())  # every artifact parses: nothing half-written
    assert not list(project.drafts_dir.rglob("*.tmp"))


def test_nightly_drafts_two_episodes_leaves_canon_untouched_and_reports(project: Project) -> None:
    canon = Canon(project.canon_dir)
    before = {p: p.read_bytes() for p in project.canon_dir.rglob("*") if p.is_file()}
    res = cli(project, "--episodes", "2", "--json")
    assert res.returncode == 0, res.stderr
    night = json.loads(res.stdout)
    assert night["status"] == "done" and night["planned"] == [2, 3]
    assert statuses(project) == {2: "waiting", 3: "waiting"}
    assert {p: p.read_bytes() for p in project.canon_dir.rglob("*") if p.is_file()} == before
    assert canon.digest() == night["canon_digest"] and canon.episode_numbers() == [1]
    ep3 = next(e for e in night["episodes"] if e["episode"] == 3)
    assert ep3["provisional_on"] == [2] and ep3["gate"] == "final" and ep3["tokens"] > 0
    md = (project.reports_dir / "latest.md").read_text()
    for n in (2, 3):
        assert f"## Episode {n}: " in md and f"Episode {n} at gate **final**" in md
    assert md.count("**Critic:** coherence 7") == 2 and md.count("**Continuity:**") == 2
    assert "Estimate vs actual" in md
    page = (project.reports_dir / "latest.html").read_text()
    assert "data:image/png;base64," in page and "http" not in page.replace("http-equiv", "")
    no_torn_drafts(project)
    # the ledger carries the night's tags; estimate now uses this history
    recs = project_ledger(project.root).entries(night=night["night"])
    assert recs and all(r["draft"] is True for r in recs) and {r["episode"] for r in recs} == {2, 3}
    est = subprocess.run([sys.executable, "-m", "showrunner.cli.main", "estimate", "--project", str(project.root),
                          "--episodes", "2", "--json"], capture_output=True, text=True, env={**os.environ, **ENV})
    assert est.returncode == 0 and json.loads(est.stdout)["basis"] == "history"
    st = subprocess.run([sys.executable, "-m", "showrunner.cli.main", "status", "--project", str(project.root),
                         "--json"], capture_output=True, text=True, env={**os.environ, **ENV})
    view = json.loads(st.stdout)
    assert view["drafts"] == {"2": {"status": "waiting", "gate": "final"}, "3": {"status": "waiting", "gate": "final"}}
    assert view["report"] and view["report"].endswith("latest.md")


def test_second_run_is_refused_and_a_killed_run_is_recovered(project: Project) -> None:
    first = cli(project, "--episodes", "2", extra_env={"SHOWRUNNER_SCRIPTED_DELAY": "0.3"}, background=True)
    assert isinstance(first, subprocess.Popen)
    deadline = time.time() + 60
    while (last_run(project.root) or {}).get("state") != "running" and time.time() < deadline:
        time.sleep(0.05)
    second = cli(project, "--episodes", "2")
    assert second.returncode == 3 and "busy: showrunner nightly" in second.stderr
    while not project_ledger(project.root).entries(kind="llm", episode=2) and time.time() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert (last_run(project.root) or {}).get("state") == "interrupted"  # the OS dropped its lock
    third = cli(project, "--episodes", "2")
    assert third.returncode == 0, third.stderr
    assert statuses(project) == {2: "waiting", 3: "waiting"}
    assert (last_run(project.root) or {}).get("state") == "finished"
    no_torn_drafts(project)


def test_token_budget_stops_at_a_step_and_the_next_night_finishes(project: Project) -> None:
    res = cli(project, "--episodes", "2", "--max-tokens", "300")
    assert res.returncode == 5, res.stderr
    night = nightly.last_night(project)
    assert night is not None and night["status"] == "budget"
    assert night["stopped_at"]["episode"] == 2 and night["stopped_at"]["after_step"]
    assert statuses(project) == {2: "drafting"}
    assert "token budget spent" in (project.reports_dir / "latest.md").read_text()
    no_torn_drafts(project)
    first_calls = len(project_ledger(project.root).entries(kind="llm"))
    res = cli(project, "--episodes", "2")
    assert res.returncode == 0, res.stderr
    assert statuses(project) == {2: "waiting", 3: "waiting"}
    steps = res.stderr.splitlines()  # not a terminal: plain progress lines while the night runs
    assert steps[0] == "nightly: episode 2: drafting (1 of 2)" and "nightly: episode 3: drafting (2 of 2)" in steps
    assert any(s.startswith("nightly: episode 3: writer/script") for s in steps)
    outlines = project_ledger(project.root).entries(kind="llm", episode=2, node="write_outline", draft=True)
    assert len(outlines) == 1 and first_calls >= 1  # the finished step was not redone


def test_reject_marks_later_drafts_stale_and_the_next_night_redrafts(project: Project) -> None:
    settings = load_settings(project.root)
    llm = ScriptedLLM(story_responder)
    assert nightly.run_night(project, settings, episodes=2, llm=llm)["exit_code"] == 0
    shown = series_cli(project, "review", "--draft", "2")
    assert shown.returncode == 0 and "nightly draft 2 (waiting)" in shown.stdout
    assert "approve --draft 2" in shown.stdout and "Storyboard, episode 2" in shown.stdout
    out = series_cli(project, "reject", "--draft", "2", "--notes", "Give the keeper's daughter a brass lantern",
                     "--json")
    assert out.returncode == 0 and json.loads(out.stdout) == {"rejected": 2, "stale": [3]}
    assert statuses(project) == {2: "rejected", 3: "stale"}
    refused = series_cli(project, "approve", "--draft", "3")
    assert refused.returncode == 3 and "no draft waiting" in refused.stderr
    digest = Canon(project.canon_dir).digest()
    llm2 = ScriptedLLM(story_responder)
    night = nightly.run_night(project, settings, episodes=2, llm=llm2)
    assert night["planned"] == [2, 3] and night["exit_code"] == 0
    assert statuses(project) == {2: "waiting", 3: "waiting"}
    scripts = [r for r in llm2.calls("writer/script") if "Episode 2" in r.text or "episode 2" in r.text]
    assert any("brass lantern" in r.text for r in scripts)
    ep2 = json.loads((project.drafts_dir / "ep-002" / "episode.json").read_text())
    assert "brass lantern" in json.dumps(ep2)
    assert Canon(project.canon_dir).digest() == digest


def test_approving_a_draft_commits_it_and_only_it(project: Project) -> None:
    settings = load_settings(project.root)
    nightly.run_night(project, settings, episodes=2, llm=ScriptedLLM(story_responder))
    with pytest.raises(Exception, match="approve episode 2 first"):
        nightly.approve_draft(project, 3, settings)
    # the live run waits at episode 2's script gate: that gate shows draft 2 as a proposal
    live = series_cli(project, "review")
    assert live.returncode == 0 and "proposal: nightly draft 2 of this episode waits at its final gate" in live.stdout
    approved = series_cli(project, "approve", "--draft", "2")
    assert approved.returncode == 0, approved.stderr
    assert "it replaced the live run's script gate of episode 2" in approved.stdout
    assert f"next: run 'showrunner resume -p {project.root}' to continue the live run at episode 3" in approved.stdout
    kept = project.drafts_dir / "ep-002" / "superseded-live-script.json"
    assert json.loads(kept.read_text())["artifact"]["number"] == 2  # the live gate's work is kept, not dropped
    canon = Canon(project.canon_dir)
    assert canon.episode_numbers() == [1, 2] and canon.storyboard(2)
    assert statuses(project) == {2: "approved", 3: "waiting"}
    assert nightly.load_queue(project)["3"]["provisional_on"] == []
    st = series_cli(project, "status")
    assert "stopped: 2/4 episodes approved" in st.stdout and f"next: showrunner resume -p {project.root}" in st.stdout
    # the report is rebuilt from the queue as it is now: draft 2 no longer awaits approval
    md = (project.reports_dir / "latest.md").read_text()  # rewritten by the approval itself
    assert "Episode 2 at gate" not in md and "Episode 3 at gate **final**" in md
    (project.reports_dir / "latest.md").write_text("old")
    report = series_cli(project, "report")
    assert report.returncode == 0, report.stderr
    assert (project.reports_dir / "latest.md").read_text() == md
    assert "- **State:** approved" in md and "- **State:** waiting" in md
    nightly.approve_draft(project, 3, settings)
    decisions = [(d["gate"], d["episode"], d["action"]) for d in read_jsonl(project.decisions)]
    assert decisions[-3:] == [("script", 2, "superseded"), ("draft", 2, "approve"), ("draft", 3, "approve")]
    # the interactive thread moves on to episode 4, redoing nothing
    llm = ScriptedLLM(story_responder)
    res = series.continue_series(project.root, llm=llm)
    assert res["pending"]["gate"] == "script" and res["pending"]["episode"] == 4
    assert res["completed"] == [1, 2, 3] and Canon(project.canon_dir).episode_numbers() == [1, 2, 3]
    assert len(llm.calls("writer/outline")) == 1  # episode 4's only


def test_when_the_live_run_commits_first_the_draft_reads_superseded(project: Project) -> None:
    settings = load_settings(project.root)
    nightly.run_night(project, settings, episodes=2, llm=ScriptedLLM(story_responder))
    llm = ScriptedLLM(story_responder)
    for _ in range(3):  # script, storyboard, final of episode 2 in the live run
        res = series.continue_series(project.root, {"action": "approve"}, llm=llm)
    assert res["completed"] == [1, 2] and res["pending"]["episode"] == 3
    queue = nightly.load_queue(project)
    assert queue["2"]["status"] == "superseded" and "live run" in queue["2"]["superseded_by"]
    assert queue["3"]["status"] == "stale" and queue["3"]["stale_because"] == 2  # it built on draft 2
    with pytest.raises(Exception, match="no draft waiting"):
        nightly.approve_draft(project, 2, settings)
    st = json.loads(series_cli(project, "status", "--json").stdout)
    assert st["drafts"]["2"]["status"] == "superseded" and st["drafts"]["3"]["status"] == "stale"
    night = nightly.run_night(project, settings, episodes=1, llm=ScriptedLLM(story_responder))
    assert night["planned"] == [3] and statuses(project)[3] == "waiting"  # redrafted on the live episode 2


def test_endpoint_down_ends_the_night_with_state_saved_and_the_cause_reported(project: Project) -> None:
    from showrunner.llm.base import LLMError

    calls = {"n": 0}

    def flaky(prompt, schema):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 3:
            raise LLMError("connection refused by http://127.0.0.1:9/v1 after 4 attempts")
        return story_responder(prompt, schema)

    settings = load_settings(project.root)
    digest = Canon(project.canon_dir).digest()
    night = nightly.run_night(project, settings, episodes=2, llm=ScriptedLLM(flaky))
    assert night["status"] == "fault" and night["exit_code"] == 4
    assert "connection refused" in (project.reports_dir / "latest.md").read_text()
    assert statuses(project) == {2: "drafting"}
    failed = project_ledger(project.root).entries(night=night["night"])
    assert any("connection refused" in (r.get("error") or "") for r in failed)
    no_torn_drafts(project)
    assert Canon(project.canon_dir).digest() == digest
    again = nightly.run_night(project, settings, episodes=2, llm=ScriptedLLM(story_responder))
    assert again["exit_code"] == 0 and statuses(project) == {2: "waiting", 3: "waiting"}


def test_disk_full_ends_the_night_with_state_saved_and_nothing_half_written(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    real_replace = os.replace
    full = {"on": True}

    def replace(src, dst):  # type: ignore[no-untyped-def]
        # the disk fills up the first time a draft's storyboard is committed to the review queue
        if full["on"] and str(dst).endswith("storyboard.json") and "drafts" in str(dst):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    settings = load_settings(project.root)
    digest = Canon(project.canon_dir).digest()
    night = nightly.run_night(project, settings, episodes=2, llm=ScriptedLLM(story_responder))
    assert night["status"] == "fault" and night["exit_code"] == 4
    assert "No space left on device" in (project.reports_dir / "latest.md").read_text()
    assert statuses(project) == {2: "drafting"}
    no_torn_drafts(project)
    assert not (project.drafts_dir / "ep-002" / "storyboard.json").exists()
    assert Canon(project.canon_dir).digest() == digest
    full["on"] = False  # space freed: the next night finishes from the saved state
    again = nightly.run_night(project, settings, episodes=2, llm=ScriptedLLM(story_responder))
    assert again["exit_code"] == 0 and statuses(project) == {2: "waiting", 3: "waiting"}
    no_torn_drafts(project)


DRAFT_EDITOR = """import json, sys
path = sys.argv[1]
data = json.load(open(path))
if sys.argv[0].endswith("bad.py"):
    data["shots"][0]["duration"] = "long"
else:
    data["shots"][0]["action"] = "Edited by hand: the lantern swings"
json.dump(data, open(path, "w"))
"""


def test_edit_draft_is_validated_and_is_what_approval_commits(project: Project, tmp_path: Path) -> None:
    settings = load_settings(project.root)
    nightly.run_night(project, settings, episodes=1, llm=ScriptedLLM(story_responder))
    shown = series_cli(project, "review", "--draft", "2")
    assert f"edit: showrunner edit --draft 2 -p {project.root}" in shown.stdout
    board = project.drafts_dir / "ep-002" / "storyboard.json"
    before = board.read_bytes()
    for name in ("bad", "good"):
        (tmp_path / f"{name}.py").write_text(DRAFT_EDITOR)

    def edit(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "showrunner.cli.main", "edit", "--draft", "2", "--project",
                               str(project.root)], capture_output=True, text=True,
                              env={**os.environ, **ENV, "EDITOR": f"{sys.executable} {tmp_path / name}.py"})

    bad = edit("bad")
    assert bad.returncode == 2 and "nothing changed" in bad.stderr and bad.stderr.count("\n") == 1
    assert board.read_bytes() == before
    good = edit("good")
    assert good.returncode == 0 and "draft 2 edited at its final gate" in good.stdout, good.stderr
    assert "edited after this draft was rendered" in series_cli(project, "review", "--draft", "2").stdout
    assert series_cli(project, "approve", "--draft", "2").returncode == 0
    shots = Canon(project.canon_dir).storyboard(2)
    assert shots and shots[0].action == "Edited by hand: the lantern swings"
    decisions = [(d["gate"], d["episode"], d["action"]) for d in read_jsonl(project.decisions)]
    assert ("draft", 2, "edit") in decisions
