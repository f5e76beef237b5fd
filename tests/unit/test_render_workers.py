"""Choosing where frames render: in process unless Ray workers are asked for (the Ray path: tests/integration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from showrunner.config import load_settings
from showrunner.errors import BadInput
from showrunner.pipelines.render_work import InProcess, open_runner, uses_cluster

UNIT = Path(__file__).resolve().parent


def test_workers_and_ray_address_choose_the_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not uses_cluster(load_settings())
    assert not uses_cluster(load_settings(workers=1))
    assert uses_cluster(load_settings(workers=2))
    monkeypatch.setenv("SHOWRUNNER_RAY_ADDRESS", "10.0.0.5:6379")
    settings = load_settings()
    assert settings.ray_address == "10.0.0.5:6379" and uses_cluster(settings)
    monkeypatch.delenv("SHOWRUNNER_RAY_ADDRESS")
    monkeypatch.setenv("SHOWRUNNER_WORKERS", "3")
    assert load_settings().workers == 3
    assert isinstance(open_runner(load_settings(workers=1)), InProcess)
    with pytest.raises(BadInput, match="invalid setting workers"):
        load_settings(workers=0)


def test_render_with_one_worker_never_imports_ray(tmp_path: Path) -> None:
    """``render --workers 1`` renders in this process; Ray stays out of ``sys.modules`` (own interpreter)."""
    code = f"""
import json, sys
sys.path.insert(0, {str(UNIT)!r})
from render_sample import make_project
from showrunner.cli.main import main
from pathlib import Path
make_project(Path({str(tmp_path / "series")!r}))
try:
    main(["render", "--episode", "1", "--workers", "1", "--json", "-p", {str(tmp_path / "series")!r}])
except SystemExit as exc:
    assert not exc.code
print(json.dumps({{"ray": "ray" in sys.modules}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SHOWRUNNER_TTS": "none", "PYTHONPATH": str(UNIT.parents[1])})
    assert done.returncode == 0, done.stderr[-2000:]
    *report, last = done.stdout.strip().splitlines()
    assert json.loads("\n".join(report))["rendered"] == 4
    assert json.loads(last) == {"ray": False}
