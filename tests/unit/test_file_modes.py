"""Every file and folder a series writes follows the user's umask: canon, ledger, SQLite, chroma, renders."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from showrunner.io import create_file

ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash"}
UMASK = 0o002  # group-writable: SQLite alone would give 0644
PRIVATE = {"provenance/signer-key.pem"}  # the self-signed C2PA key stays 0600 on purpose


def cli(*args: str | Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SHOWRUNNER_"))} | ENV
    proc = subprocess.run([sys.executable, "-m", "showrunner.cli.main", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=180, preexec_fn=lambda: os.umask(UMASK))
    assert proc.returncode == 0, proc.stderr


def test_a_whole_series_follows_the_umask(tmp_path: Path) -> None:
    root = tmp_path / "P"
    cli("new", "A harbor town in fog", "-n", "1", "-p", root, "--auto-approve", "all")
    cli("render", "--episode", "1", "--force", "-p", root)  # PIL frames, ffmpeg mp4, C2PA sidecars
    cli("memory", "rebuild", "-p", root)  # chroma from scratch
    files = {p.relative_to(root).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*") if p.is_file()}
    folders = {p.relative_to(root).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*") if p.is_dir()}
    kinds = {Path(name).suffix for name in files}
    assert {".sqlite", ".sqlite3", ".jsonl", ".json", ".png", ".mp4", ".srt"} <= kinds  # every writer ran
    wrong = {n: oct(m) for n, m in files.items() if m != (0o600 if n in PRIVATE else 0o666 & ~UMASK)}
    assert wrong == {}
    assert {n: oct(m) for n, m in folders.items() if m != 0o777 & ~UMASK} == {}


def test_create_file_follows_the_umask_and_keeps_an_existing_file(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        path = create_file(tmp_path / "a" / "db.sqlite")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
    path.write_text("kept")
    assert create_file(path).read_text() == "kept"
