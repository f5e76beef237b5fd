"""What the CLI prints: user and model text literally, no wrapping outside a terminal, progress on stderr."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from showrunner.cli.check import _table
from showrunner.cli.common import emit
from showrunner.cli.main import main
from showrunner.cli.output import progress, say
from showrunner.cli.series_view import describe
from showrunner.models import ContinuityIssue

ROOT = Path(__file__).resolve().parents[2]
TRICKY = "[maren] waves [bold]hello[/] :fire: [/]"


def _script_gate() -> dict:
    scene = {"number": 1, "location": "greyhaven-point", "time_of_day": "morning", "characters": ["maren", "ilse"],
             "summary": f"Fog rolls in. {TRICKY}", "dialogue": [{"speaker": "maren", "text": TRICKY}]}
    return {"gate": "script", "episode": 1, "round": 0,
            "artifact": {"number": 1, "title": "[Fog] Bank", "logline": "x", "beats": [], "scenes": [scene]},
            "critique": {"verdict": "approve", "scores": {"coherence": 7}, "notes": [TRICKY]},
            "continuity": [{"severity": "warning", "scene": 1, "message": TRICKY}]}


def test_review_prints_every_user_and_model_word(capsys: pytest.CaptureFixture[str]) -> None:
    emit({}, False, describe(_script_gate()))
    out = capsys.readouterr().out
    assert "Scene 1 @ greyhaven-point (morning) [maren, ilse]" in out
    assert "[Fog] Bank" in out and out.count(TRICKY) == 4  # summary, dialogue, critic note, continuity


def test_tables_and_plain_strings_are_literal(capsys: pytest.CaptureFixture[str]) -> None:
    issue = ContinuityIssue(code="dead_character_speaks", severity="error", message=TRICKY, episode=5, scene=1,
                            suggestion=":smile: [red]fix[/red]")
    say(_table([issue]))
    say(TRICKY, err=True)
    out, err = capsys.readouterr()
    assert TRICKY in out and ":smile: [red]fix[/red]" in out and err == TRICKY + "\n"


def test_no_wrapping_when_stdout_is_not_a_terminal() -> None:
    proc = subprocess.run([sys.executable, "-m", "showrunner.cli.main", "check", "examples/lighthouse/episode-05.json",
                           "--canon", "examples/lighthouse/canon.json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "COLUMNS": "80"})
    assert proc.returncode == 1, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if "dead_character_speaks" in line)
    assert "Elias Varn speaks in E5 S1, but is dead since E3 S2" in row  # one row, one line
    long = "renders/ep-001/" + "very-long-folder-name/" * 12 + "ep-001.mp4"
    buf = io.StringIO()
    sys_stdout, sys.stdout = sys.stdout, buf
    try:
        say(f"cuts: {long}")
    finally:
        sys.stdout = sys_stdout
    assert buf.getvalue() == f"cuts: {long}\n"


def test_doctor_shows_each_check_as_a_progress_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "SHOWRUNNER_LLM"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(SystemExit) as info:
        main(["doctor", "--quick", "--project", str(tmp_path)])
        raise SystemExit(0)
    out, err = capsys.readouterr()
    assert info.value.code == 0 and "ok llm" in out
    steps = [line for line in err.splitlines() if line.startswith("doctor: checking ")]
    assert [s.split()[2] for s in steps] == ["llm", "embedder", "torch", "ffmpeg", "disk"]
    assert steps[-1].endswith("(5/5)")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_live_in_a_terminal_plain_elsewhere_and_silent_for_json(
        monkeypatch: pytest.MonkeyPatch) -> None:
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stderr", plain)
    with progress("nightly") as step:
        step("episode 2: writer/outline")
        step("episode 2: writer/outline")  # repeated steps are not repeated lines
        step("episode 3: writer/script")
    assert plain.getvalue() == "nightly: episode 2: writer/outline\nnightly: episode 3: writer/script\n"
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    with progress("nightly") as step:
        step("episode 2: writer/outline")
    assert "\x1b[" in tty.getvalue()  # a live rich status line, not a log line
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    with progress("nightly", quiet=True) as step:
        step("episode 2")
    assert quiet.getvalue() == ""
