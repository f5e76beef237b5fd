"""Rendering on a real local Ray cluster (``ray start --head`` on 127.0.0.1, 2 CPUs), stopped by the test.

The frames and the cut match in-process rendering (preview renderer and the tiny diffusers twin); a worker
killed mid-render costs only its unit in flight, finished frames are never rendered again (files and
ledger), and a second run renders nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest
from PIL import Image

ray = pytest.importorskip("ray")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from render_sample import make_project, sample_shots  # noqa: E402

from showrunner.cli.main import main  # noqa: E402
from showrunner.config import PRESETS, Preset, load_settings  # noqa: E402
from showrunner.models import Shot  # noqa: E402
from showrunner.pipelines.cut import read_state  # noqa: E402
from showrunner.pipelines.ledger import meter_for, project_ledger  # noqa: E402
from showrunner.pipelines.project import Project  # noqa: E402
from showrunner.pipelines.render import RenderReport, render_episode  # noqa: E402
from showrunner.pipelines.render_ray import RayRunner, worker_env  # noqa: E402
from showrunner.tools.base import get_backend  # noqa: E402

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A head node with 2 CPUs on 127.0.0.1 (its own process group, ended by the test); the driver joined."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOWRUNNER_TINY_DIR", str(tmp_path_factory.mktemp("tiny")))
    mp.setenv("RAY_AUTH_MODE", "disabled")  # a throwaway loopback cluster: no token to share with the driver
    port = _free_port()
    address = f"127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "RAY_USAGE_STATS_ENABLED": "0"}
    head = subprocess.Popen([str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
                             "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "2",
                             "--num-gpus", "0", "--include-dashboard=false", "--disable-usage-stats"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                ray.init(address=address, runtime_env={"env_vars": worker_env()}, logging_level="ERROR",
                         log_to_driver=False)
                break
            except (ConnectionError, RuntimeError):
                if time.monotonic() > deadline or head.poll() is not None:
                    raise
                time.sleep(2)
        yield address
    finally:
        ray.shutdown()
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(10)  # it drains for up to 30 s; nothing is left to drain
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait(10)
        current = Path("/tmp/ray/ray_current_cluster")  # `ray start` leaves its address here for ray.init()
        if current.is_file() and current.read_text().strip().endswith(f":{port}"):
            current.unlink()
        mp.undo()


def pixels(path: str | None) -> str:
    with Image.open(path or "") as im:
        return hashlib.sha256(im.convert("RGB").tobytes()).hexdigest()


def decoded(path: str, stream: str) -> str:
    """MD5 of a stream of ``path`` as decoded by ffmpeg (the signed containers differ byte for byte)."""
    out = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", path, "-map", f"0:{stream}",
                          "-f", "md5", "-"], capture_output=True, text=True, check=True).stdout
    return out.strip()


def same_episode(a: RenderReport | dict[str, Any], b: RenderReport | dict[str, Any], pa: Project,
                 pb: Project) -> None:
    ra = a if isinstance(a, dict) else a.model_dump(mode="json")
    rb = b if isinstance(b, dict) else b.model_dump(mode="json")
    assert [s["frame_key"] for s in ra["shots"]] == [s["frame_key"] for s in rb["shots"]]
    assert [pixels(s["frame"]) for s in ra["shots"]] == [pixels(s["frame"]) for s in rb["shots"]]
    cut_a, cut_b = read_state(pa, 1)["cuts"]["16:9"], read_state(pb, 1)["cuts"]["16:9"]
    assert cut_a["key"] == cut_b["key"]
    assert decoded(ra["outputs"]["mp4"], "v") == decoded(rb["outputs"]["mp4"], "v")
    assert Path(ra["outputs"]["srt"]).read_text() == Path(rb["outputs"]["srt"]).read_text()


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    try:
        main(list(argv))
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr().err
    return dict(json.loads(capsys.readouterr().out))


def test_cli_workers_2_matches_workers_1(cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWRUNNER_TTS", "none")  # Piper samples its noise: two syntheses differ in length
    here, there = make_project(tmp_path / "here"), make_project(tmp_path / "there")
    local = cli(capsys, "render", "--episode", "1", "--workers", "1", "--json", "-p", str(here.root))
    assert (local["rendered"], local["reused"]) == (4, 0)
    monkeypatch.setenv("SHOWRUNNER_RAY_ADDRESS", cluster)
    remote = cli(capsys, "render", "--episode", "1", "--workers", "2", "--json", "-p", str(there.root))
    assert (remote["rendered"], remote["reused"], remote["cut_rendered"]) == (4, 0, True)
    same_episode(local, remote, here, there)
    again = cli(capsys, "render", "--episode", "1", "--workers", "2", "--json", "-p", str(there.root))
    assert (again["rendered"], again["reused"], again["cut_rendered"]) == (0, 4, False)

    monkeypatch.delenv("SHOWRUNNER_TTS")  # speech synthesis and the mix run as Ray tasks too
    spoken = make_project(tmp_path / "spoken")
    voiced = cli(capsys, "render", "--episode", "1", "--workers", "2", "--json", "-p", str(spoken.root))
    assert (voiced["rendered"], voiced["lines_synthesized"], voiced["cut_rendered"]) == (4, 3, True)
    assert voiced["loudness_lufs"] is not None and decoded(voiced["outputs"]["mp4"], "a").startswith("MD5=")


def test_tiny_diffusers_on_ray_matches_in_process(cluster: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PRESETS, "draft", Preset(name="draft", width=64, height=48, steps=2, fps=4,
                                                 image_backend="diffusers", video_backend=None))
    here, there = make_project(tmp_path / "here"), make_project(tmp_path / "there")
    opts: dict[str, Any] = {"preset": "draft", "image_model": "tiny-sd", "device": "cpu", "tts": "none"}
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a CPU a float frame depends on the thread count; a 1-CPU actor draws with 1
    try:
        local = render_episode(here, load_settings(here.root, **opts), 1)
    finally:
        torch.set_num_threads(threads)
    runner = RayRunner(load_settings(there.root, workers=2, **opts))
    try:
        remote = render_episode(there, runner.settings, 1, runner=runner)
        assert len(set(runner.pids(get_backend("diffusers", runner.settings)))) == 2
    finally:
        runner.close()
    assert (remote.rendered, remote.reused) == (4, 0)
    same_episode(local, remote, here, there)


def many_shots(n: int) -> list[Shot]:
    base = sample_shots()
    return [base[i % len(base)].model_copy(update={"id": f"s{base[i % len(base)].scene:02d}-{10 + i:02d}",
                                                   "number": 10 + i, "seed": 100 + i}) for i in range(n)]


def test_killed_worker_loses_only_its_job(cluster: str, tmp_path: Path) -> None:
    shots = many_shots(12)
    project = make_project(tmp_path / "series", shots)
    settings = load_settings(project.root, workers=2, tts="none")
    runner = RayRunner(settings)
    preview = get_backend("preview", settings)
    landed: dict[str, tuple[int, int]] = {}  # frames finished before the kill: path -> (inode, mtime)
    killed: list[int] = []

    def kill_all_workers_once(event: dict[str, Any]) -> None:
        if killed or event.get("stage") != "keyframe":  # after the first frame lands (not at the QA notice)
            return
        for path in (project.renders_dir / "frames").rglob("*.png"):
            landed[str(path)] = (path.stat().st_ino, path.stat().st_mtime_ns)
        killed.extend(runner.pids(preview))
        for pid in killed:  # both actors die: the one with a unit in flight and the idle one
            os.kill(pid, signal.SIGKILL)

    meter = meter_for(project_ledger(project.root, settings.prices))
    try:
        report = render_episode(project, settings, 1, runner=runner, progress=kill_all_workers_once)
        meter.renders(report.items(), {"episode": 1, "node": "render"})
        assert (report.rendered, report.reused, report.cut_rendered) == (12, 0, True)
        assert killed and landed and len(landed) < 12
        assert set(runner.pids(preview)).isdisjoint(killed)  # Ray restarted the actors
        for path, stamp in landed.items():  # finished before the kill: never written again
            assert (Path(path).stat().st_ino, Path(path).stat().st_mtime_ns) == stamp
        booked = [r["shot"] for r in project_ledger(project.root).entries(kind="render")]
        assert sorted(booked) == sorted(s.id for s in shots)  # each shot rendered (and booked) once

        again = render_episode(project, settings, 1, runner=runner)
        meter.renders(again.items(), {"episode": 1, "node": "render"})
        assert (again.rendered, again.reused, again.cut_rendered) == (0, 12, False)
        assert len(project_ledger(project.root).entries(kind="render")) == 12
    finally:
        runner.close()
