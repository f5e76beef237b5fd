"""A path the project owns with the wrong kind: one line naming it and the fix, non-zero exit, every command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from showrunner.errors import ProjectError
from showrunner.pipelines.project import LAYOUT, Project

ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash"}


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SHOWRUNNER_"))} | ENV
    return subprocess.run([sys.executable, "-m", "showrunner.cli.main", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layout") / "P"
    proc = cli("new", "A harbor town in fog", "-n", "1", "-p", root, "--auto-approve", "all")
    assert proc.returncode == 0, proc.stderr
    return root


def swap_kind(path: Path, kind: str) -> None:
    """Put something of the wrong kind where ``path`` (a ``kind``) is or would be."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("oops") if kind == "folder" else path.mkdir()


@pytest.mark.parametrize("rel, command", [
    ("memory", ("memory", "query", "who", "-e", "1")),
    ("memory", ("nightly", "--episodes", "1")),
    ("canon", ("status",)),
    ("logs/ledger.jsonl", ("estimate",)),
    ("state/checkpoints.sqlite", ("resume",)),
    ("renders", ("render", "--episode", "1")),
])
def test_wrong_kind_is_one_line_naming_the_path_and_the_fix(series: Path, tmp_path: Path, rel: str,
                                                            command: tuple[str, ...]) -> None:
    root = tmp_path / "P"
    shutil.copytree(series, root)
    kind = dict((r, k) for r, k, _ in LAYOUT)[rel]
    swap_kind(root / rel, kind)
    proc = cli(*command, "-p", root)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"{root / rel} should be a {kind}" in proc.stderr and "; " in proc.stderr


def test_every_owned_path_is_checked(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "s")
    project.check_layout()  # missing paths are fine
    for rel, kind, fix in LAYOUT:
        path = project.root / rel
        swap_kind(path, kind)
        with pytest.raises(ProjectError, match="should be a " + kind) as info:
            Project.open(project.root)
        assert fix in str(info.value)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    Project.open(project.root)
