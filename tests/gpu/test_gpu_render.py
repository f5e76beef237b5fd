"""GPU tier (opt-in: ``pytest -m gpu tests/gpu``): real models from env, skipped without CUDA.

Env: SHOWRUNNER_GPU_IMAGE_MODEL (text-to-image folder or cached id, e.g. SD 1.5), optional
SHOWRUNNER_GPU_IP_ADAPTER (IP-Adapter weights file with image_encoder/ beside it) and
SHOWRUNNER_GPU_VIDEO_MODEL (image-to-video, e.g. stable-video-diffusion-img2vid).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.gpu
torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("needs a CUDA GPU", allow_module_level=True)
IMAGE_MODEL = os.environ.get("SHOWRUNNER_GPU_IMAGE_MODEL")
if not IMAGE_MODEL:
    pytest.skip("set SHOWRUNNER_GPU_IMAGE_MODEL to a local text-to-image model", allow_module_level=True)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from render_sample import make_project  # noqa: E402

from showrunner.config import load_settings  # noqa: E402
from showrunner.pipelines.provenance import verify  # noqa: E402
from showrunner.pipelines.render import render_episode  # noqa: E402


def test_draft_episode_on_gpu(tmp_path: Path) -> None:
    project = make_project(tmp_path / "series")
    settings = load_settings(project.root, preset="draft", image_model=IMAGE_MODEL, device="cuda",
                             ip_adapter=os.environ.get("SHOWRUNNER_GPU_IP_ADAPTER"))
    t = time.perf_counter()
    report = render_episode(project, settings, 1)
    took = time.perf_counter() - t
    assert report.rendered == 4 and report.gpu_seconds > 0 and report.outputs
    assert verify(Path(report.shots[0].frame or ""))["valid"]
    print(f"draft episode: {report.rendered} keyframes in {took:.1f}s")
    assert render_episode(project, settings, 1).rendered == 0


@pytest.mark.skipif(not os.environ.get("SHOWRUNNER_GPU_VIDEO_MODEL"), reason="set SHOWRUNNER_GPU_VIDEO_MODEL")
def test_full_episode_with_clips(tmp_path: Path) -> None:
    project = make_project(tmp_path / "series")
    settings = load_settings(project.root, preset="full", image_model=IMAGE_MODEL, device="cuda",
                             video_model=os.environ["SHOWRUNNER_GPU_VIDEO_MODEL"])
    report = render_episode(project, settings, 1)
    assert report.clips_rendered == 4 and Path(report.outputs["mp4"]).is_file()
