"""GPU tier for model families (opt-in: ``pytest -m gpu tests/gpu``): real models from env, skipped without CUDA.

Env: SHOWRUNNER_GPU_IMAGE_MODEL (SD 1.5-class folder), optional SHOWRUNNER_GPU_SDXL_MODEL and
SHOWRUNNER_GPU_FLUX_MODEL (family detected from model_index.json), SHOWRUNNER_GPU_IP_ADAPTER (weights
matching SHOWRUNNER_GPU_IMAGE_MODEL, image_encoder/ beside them). Each case prints one JSON line.

* keyframes/s through the backend beside a bare diffusers loop on the same loaded pipeline;
* identity with vs without references: cosine similarity between each rendered frame and the reference
  sheet of its first character, in the IP-Adapter's own CLIP image space, with the adapter on and off.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from render_sample import sample_bible, sample_episode, sample_shots  # noqa: E402

from showrunner.config import Settings  # noqa: E402
from showrunner.pipelines.render_jobs import build_jobs  # noqa: E402
from showrunner.tools.diffusers_image import DiffusersImageBackend  # noqa: E402
from showrunner.tools.refsheet import draw_sheet  # noqa: E402

MODELS = [m for m in (os.environ.get("SHOWRUNNER_GPU_IMAGE_MODEL"), os.environ.get("SHOWRUNNER_GPU_SDXL_MODEL"),
                      os.environ.get("SHOWRUNNER_GPU_FLUX_MODEL")) if m]


def jobs(w: int, h: int, steps: int, n: int = 8):  # type: ignore[no-untyped-def]
    base = sample_shots()
    shots = [base[i % len(base)].model_copy(update={"id": f"g{i:02d}", "seed": 200 + i}) for i in range(n)]
    return build_jobs(sample_bible(), sample_episode(), 1, shots, width=w, height=h, steps=steps, fps=12)


@pytest.mark.parametrize("model", MODELS or [pytest.param(None, marks=pytest.mark.skip("no model paths in env"))])
def test_keyframes_per_second_beside_a_bare_loop(model: str) -> None:
    backend = DiffusersImageBackend(Settings(image_model=model, device="cuda"))
    pipe = backend.pipeline()
    js = jobs(1024 if backend.family.name != "sd15" else 512, 576 if backend.family.name != "sd15" else 512, 20)
    backend.render(js[:1])  # warm-up
    torch.cuda.synchronize()
    t = time.perf_counter()
    for j in js:
        pipe(j.prompt, width=j.width, height=j.height, num_inference_steps=j.steps, guidance_scale=backend.fs.guidance,
             generator=torch.Generator("cuda").manual_seed(j.seed))
    torch.cuda.synchronize()
    bare = time.perf_counter() - t
    t = time.perf_counter()
    outs = backend.render(js)
    torch.cuda.synchronize()
    ours = time.perf_counter() - t
    print(json.dumps({"case": "keyframes_per_s", "model": model, "family": backend.family.name,
                      "bare_fps": round(len(js) / bare, 3), "backend_fps": round(len(js) / ours, 3),
                      "backend_over_bare": round(bare / ours, 3)}))
    assert len(outs) == len(js) and all(o.params["prompt_tokens"]["complete"] for o in outs)


@pytest.mark.skipif(not (os.environ.get("SHOWRUNNER_GPU_IMAGE_MODEL") and os.environ.get("SHOWRUNNER_GPU_IP_ADAPTER")),
                    reason="set SHOWRUNNER_GPU_IMAGE_MODEL and SHOWRUNNER_GPU_IP_ADAPTER")
def test_identity_with_and_without_references(tmp_path: Path) -> None:
    backend = DiffusersImageBackend(Settings(image_model=os.environ["SHOWRUNNER_GPU_IMAGE_MODEL"], device="cuda",
                                             ip_adapter=os.environ["SHOWRUNNER_GPU_IP_ADAPTER"]))
    refs = {}
    for c in sample_bible().characters:
        refs[c.id] = tmp_path / f"{c.id}.png"
        draw_sheet(c, (512, 512)).save(refs[c.id])
    scores: dict[str, list[float]] = {"with": [], "without": []}
    for mode in ("with", "without"):
        js = jobs(512, 512, 20)
        for j in js:
            j.references = {c.id: refs[c.id] for c in j.characters} if mode == "with" else {}
        for j, out in zip(js, backend.render(js), strict=True):
            if not j.characters:
                continue
            frame = tmp_path / f"{mode}-{j.shot.id}.png"
            out.frames[0].save(frame)
            a, b = backend.reference_embed(str(frame)), backend.reference_embed(str(refs[j.characters[0].id]))
            scores[mode].append(float(torch.nn.functional.cosine_similarity(a.float(), b.float(), dim=0)))
    mean = {k: sum(v) / len(v) for k, v in scores.items()}
    print(json.dumps({"case": "identity_with_vs_without_references", **{k: round(v, 4) for k, v in mean.items()}}))
    assert mean["with"] > mean["without"]
