"""The series CLI as a user runs it (real subprocesses, scripted LLM, hash embedder): gates and bad input."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from showrunner.cli.main import main

ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash"}


def cli(*args: str | Path, env: dict[str, str] | None = None, **kw: object) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SHOWRUNNER_"))}
    full.update(ENV | (env or {}))
    return subprocess.run([sys.executable, "-m", "showrunner.cli.main", *map(str, args)], capture_output=True,
                          text=True, env=full, timeout=120, **kw)  # type: ignore[call-overload]


def js(proc: subprocess.CompletedProcess[str]) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_new_stops_at_bible_then_approve_moves_on(tmp_path: Path) -> None:
    p = tmp_path / "P"
    out = js(cli("new", "A lighthouse keeper's daughter finds a map", "--episodes", "2", "--project", p, "--json"))
    assert out["status"] == "waiting" and out["pending"]["gate"] == "bible"
    refs = out["pending"]["references"]  # every canonical look and place drawn for review before it is canon
    sheets = {r["entity"]: r["path"] for r in refs if r["kind"] == "character"}
    assert set(sheets) == {c["id"] for c in out["pending"]["artifact"]["characters"]}
    assert {r["entity"] for r in refs if r["kind"] == "location"} == \
        {loc["id"] for loc in out["pending"]["artifact"]["locations"]}
    assert all(Path(r["path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for r in refs)
    st = js(cli("status", "-p", p, "--json"))
    assert st["pending"] == {"gate": "bible", "episode": 0, "waiting_for": "the showrunner (series bible)"}
    assert st["per_episode"]["0"]["calls"] == 1
    review = cli("review", "-p", p)
    assert review.returncode == 0 and "Mira Vale" in review.stdout and "approve" in review.stdout
    out = js(cli("approve", "-p", p, "--notes", "lovely", "--json"))
    assert out["pending"]["gate"] == "script" and out["pending"]["episode"] == 1
    approved = {f.parent.name for f in (p / "canon" / "references").glob("*/v1.png")}  # the approved images
    assert approved == {r["entity"] for r in refs}
    st = js(cli("status", "-p", p, "--json"))
    assert st["pending"]["gate"] == "script" and st["per_episode"]["1"]["prompt_tokens"] > 0
    rej = cli("reject", "-p", p)  # --notes is required
    assert rej.returncode == 2 and "--notes" in rej.stderr
    decisions = (p / "logs" / "decisions.jsonl").read_text().splitlines()
    assert len(decisions) == 1 and json.loads(decisions[0])["notes"] == "lovely"


EDITOR = """import json, sys
path = sys.argv[1]
data = json.load(open(path))
mode = sys.argv[0].rsplit("-", 1)[-1].split(".")[0]
if mode == "bad":
    data["scenes"][0]["number"] = "first"
elif mode == "garbage":
    open(path, "w").write("{not json")
    sys.exit(0)
else:
    data["title"] = "Edited By Hand"
json.dump(data, open(path, "w"))
"""


def test_edit_invalid_is_refused_valid_is_applied(tmp_path: Path) -> None:
    p = tmp_path / "P"
    js(cli("new", "A harbor crew", "--episodes", "1", "-p", p, "--auto-approve", "bible,storyboard,final", "--json"))
    for mode in ("bad", "garbage", "good"):
        (tmp_path / f"ed-{mode}.py").write_text(EDITOR)
    before = (p / "state" / "checkpoints.sqlite").read_bytes()
    for mode in ("bad", "garbage"):
        proc = cli("edit", "-p", p, env={"EDITOR": f"{sys.executable} {tmp_path / f'ed-{mode}.py'}"})
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1 and "nothing changed" in proc.stderr
    assert (p / "state" / "checkpoints.sqlite").read_bytes() == before  # nothing changed
    assert not (p / "logs" / "decisions.jsonl").read_text().count("script")
    out = js(cli("edit", "-p", p, "--json", env={"EDITOR": f"{sys.executable} {tmp_path / 'ed-good.py'}"}))
    assert out["status"] == "done"
    assert json.loads((p / "canon" / "episodes" / "ep-001.json").read_text())["title"] == "Edited By Hand"


def test_auto_approve_all_finishes(tmp_path: Path) -> None:
    out = js(cli("new", "A harbor crew", "--episodes", "2", "-p", tmp_path / "P", "--auto-approve", "all", "--json"))
    assert out["status"] == "done" and out["completed"] == [1, 2]


@pytest.mark.parametrize("args, code, words", [
    (["", "--episodes", "2"], 2, "empty"),
    (["   \n\t ", "--episodes", "2"], 2, "empty"),
    (["ok premise", "--episodes", "0"], 2, "between 1 and 200"),
    (["ok premise", "--episodes", "-1"], 2, "between 1 and 200"),
    (["ok premise", "--episodes", "10000"], 2, "between 1 and 200"),
    (["ok premise", "--episodes", "two"], 2, "valid integer"),
    (["ok premise", "--auto-approve", "bibel"], 2, "unknown gate"),
])
def test_bad_new_arguments(tmp_path: Path, args: list[str], code: int, words: str,
                           capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    p = tmp_path / "P"
    with pytest.raises(SystemExit) as exit_:
        main(["new", *args, "-p", str(p)])
    err = capsys.readouterr().err
    assert exit_.value.code == code, err
    assert err.startswith("error: ") and err.count("\n") == 1 and words in err
    assert not p.exists()


def run_main(args: list[str | Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return int(exit_.value.code or 0), err


def test_bad_premises_and_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    big = tmp_path / "big.txt"
    big.write_text("word " * 30_000)
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("une prémisse".encode("latin-1"))
    for f, words in ((big, "kB"), (latin, "UTF-8"), (tmp_path / "missing.txt", "cannot read")):
        code, err = run_main(["new", "--premise-file", f, "-p", tmp_path / "P"], capsys)
        assert code == 2 and words in err and not (tmp_path / "P").exists()
    code, err = run_main(["new", "word " * 30_000, "-p", tmp_path / "P"], capsys)
    assert code == 2 and "kB" in err
    raw = subprocess.run([sys.executable, "-m", "showrunner.cli.main", "new", b"caf\xe9 premise", "-p",
                          tmp_path / "P"], capture_output=True, env={**os.environ, **ENV})
    assert raw.returncode == 2 and b"UTF-8" in raw.stderr and not (tmp_path / "P").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    code, err = run_main(["new", "ok premise", "-p", other], capsys)
    assert code == 3 and "not a series" in err and os.listdir(other) == ["notes.txt"]
    code, err = run_main(["status", "-p", other], capsys)
    assert code == 3 and "not a showrunner series" in err
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    # root ignores permission bits: use a place nobody can create folders in instead
    target = ro / "series" if os.geteuid() != 0 else Path("/proc/showrunner-test/series")
    try:
        code, err = run_main(["new", "ok premise", "-p", target], capsys)
        assert code == 3 and "writable" in err and not target.exists()
    finally:
        ro.chmod(stat.S_IRWXU)


def test_failure_before_first_checkpoint_removes_the_folder(tmp_path: Path) -> None:
    p = tmp_path / "P"
    proc = cli("new", "ok premise", "-p", p, env={"SHOWRUNNER_SCRIPTED_RESPONDER": "no.such:module"})
    assert proc.returncode == 2 and "SHOWRUNNER_SCRIPTED_RESPONDER" in proc.stderr
    assert not p.exists()


def test_render_and_shot_replace_work_at_the_final_gate(tmp_path: Path) -> None:
    p = tmp_path / "P"
    out = js(cli("new", "A harbor crew", "--episodes", "1", "-p", p, "--auto-approve", "bible,script", "--json"))
    assert out["pending"]["gate"] == "storyboard"
    early = cli("render", "--episode", "1", "-p", p)  # not approved yet: refused, one line
    assert early.returncode == 3 and "no approved storyboard" in early.stderr and early.stderr.count("\n") == 1
    out = js(cli("approve", "-p", p, "--json"))
    assert out["pending"]["gate"] == "final" and not (p / "canon" / "storyboards").exists()
    shots = out["pending"]["artifact"]["shots"]
    rep = js(cli("render", "--episode", "1", "-p", p, "--json"))
    assert rep["reused"] == len(shots) and rep["rendered"] == 0  # the gate's own render, from the cache
    assert Path(rep["outputs"]["mp4"]).is_file() and Path(rep["outputs"]["srt"]).read_text().strip()
    frame = tmp_path / "mine.png"
    from PIL import Image

    Image.new("RGB", (64, 36), (10, 20, 30)).save(frame)
    assert js(cli("shot", "replace", frame, "--episode", "1", "--shot", shots[0]["id"], "-p", p, "--json"))["frame"]


def test_projects_named_without_a_path_live_in_the_projects_home_not_the_clone(tmp_path: Path) -> None:
    clone, home = tmp_path / "clone", tmp_path / "home"
    clone.mkdir()
    home.mkdir()
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    env = {"HOME": str(home)}
    proc = cli("new", "A harbor crew", "--episodes", "1", "--auto-approve", "all", "--project", "my-series",
               cwd=clone, env=env)
    assert proc.returncode == 0, proc.stderr
    where = home / "showrunner" / "my-series"
    assert (where / "project.json").is_file() and proc.stdout.rstrip().splitlines()[-1] == f"project: {where}"
    assert os.listdir(clone) == [".git"] and not subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True).stdout
    assert js(cli("status", "--project", "my-series", "--json", cwd=tmp_path, env=env))["project"] == str(where)
    other = tmp_path / "elsewhere"
    js(cli("new", "A harbor crew", "--episodes", "1", "-p", "second", "--json",
           env={**env, "SHOWRUNNER_HOME": str(other)}))
    assert (other / "second" / "project.json").is_file()
    here = js(cli("new", "A harbor crew", "--episodes", "1", "-p", "./local", "--json", cwd=tmp_path, env=env))
    assert here["project"] == str(tmp_path / "local")  # a path is used as given
    unnamed = js(cli("new", "The Fog Harbor", "--episodes", "1", "--json", cwd=clone, env=env))
    assert unnamed["project"] == str(home / "showrunner" / "the-fog-harbor") and os.listdir(clone) == [".git"]


def test_status_shows_failed_calls_apart_from_successes(tmp_path: Path) -> None:
    p = tmp_path / "P"
    js(cli("new", "A lighthouse keeper's daughter finds a map", "--episodes", "1", "--project", p, "--json"))
    failed = {"kind": "llm", "provider": "openai", "model": "m", "prompt_id": "writer/bible", "prompt_version": 1,
              "prompt_tokens": 300, "completion_tokens": 90, "retries": 2, "requests": 3, "error": "LLMError: x",
              "episode": 0, "node": "write_bible"}
    with open(p / "logs" / "ledger.jsonl", "a") as f:
        f.write(json.dumps(failed) + "\n")
    st = js(cli("status", "-p", p, "--json"))
    row = st["per_episode"]["0"]
    assert (row["calls"], row["failed"], row["retries"]) == (1, 1, 2) and row["requests"] == 4
    assert st["totals"]["failed"] == 1 and st["totals"]["calls"] == 1
    text = cli("status", "-p", p).stdout
    assert "bible: 1 calls, 1 failed, 4 requests" in text
