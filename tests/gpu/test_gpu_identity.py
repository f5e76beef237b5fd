"""GPU tier (opt-in: ``pytest -m gpu tests/gpu``): identity with vs without references, and frame QA, on real models.

Env: SHOWRUNNER_GPU_IMAGE_MODEL (text-to-image), SHOWRUNNER_GPU_IP_ADAPTER (IP-Adapter weights with
image_encoder/ beside it) and SHOWRUNNER_GPU_FRAME_ENCODER (a CLIP vision model folder, e.g.
clip-vit-large-patch14). Results go to evals/results/identity.jsonl like ``python -m evals.identity``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.gpu
torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("needs a CUDA GPU", allow_module_level=True)
ENV = {k: os.environ.get(f"SHOWRUNNER_GPU_{k}") for k in ("IMAGE_MODEL", "IP_ADAPTER", "FRAME_ENCODER")}
if not all(ENV.values()):
    pytest.skip("set SHOWRUNNER_GPU_IMAGE_MODEL, _IP_ADAPTER and _FRAME_ENCODER to local folders",
                allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "unit")]
from render_sample import make_project  # noqa: E402

from evals.identity import RESULTS, episode_identity  # noqa: E402
from showrunner.config import load_settings  # noqa: E402
from showrunner.pipelines.render import render_episode  # noqa: E402
from showrunner.tools.frame_encoder import load_encoder  # noqa: E402


def test_identity_with_and_without_references(tmp_path: Path) -> None:
    row: dict[str, object] = {"eval": "identity", "config": "gpu sample episode", "encoder": ENV["FRAME_ENCODER"],
                              "model": ENV["IMAGE_MODEL"], "time": time.time()}
    for label, adapter in (("with_references", ENV["IP_ADAPTER"]), ("without_references", None)):
        project = make_project(tmp_path / label)
        settings = load_settings(project.root, preset="draft", image_model=ENV["IMAGE_MODEL"], ip_adapter=adapter,
                                 frame_encoder=ENV["FRAME_ENCODER"], device="cuda", tts="none")
        report = render_episode(project, settings, 1)
        assert all(s.qa is not None for s in report.shots)  # every keyframe was scored
        row[label] = episode_identity(project.root, 1, load_encoder(settings))
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row, indent=2))
