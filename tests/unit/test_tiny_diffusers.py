"""The diffusers backends on tiny random-weight twins, loaded through the production path (from_pretrained)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from render_sample import make_project, sample_bible, sample_episode, sample_shots

pytest.importorskip("diffusers")

from showrunner.config import PRESETS, Preset, Settings, load_settings  # noqa: E402
from showrunner.pipelines.render import render_episode  # noqa: E402
from showrunner.pipelines.render_jobs import build_jobs  # noqa: E402
from showrunner.tools import torch_setup  # noqa: E402
from showrunner.tools.diffusers_image import DiffusersImageBackend  # noqa: E402
from showrunner.tools.diffusers_video import DiffusersVideoBackend  # noqa: E402
from showrunner.tools.refsheet import draw_sheet  # noqa: E402

pytestmark = pytest.mark.usefixtures("module_tiny_dir")  # tiny twins built once per module, in a temp dir


def jobs(w: int = 64, h: int = 64, steps: int = 2):  # type: ignore[no-untyped-def]
    return build_jobs(sample_bible(), sample_episode(), 1, sample_shots(), width=w, height=h, steps=steps, fps=4)


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.int16)


def test_text2img_batched_equals_single_and_loads_once() -> None:
    backend = DiffusersImageBackend(Settings(image_model="tiny-sd", device="cpu"))
    js = jobs()
    batch = backend.render(js[:3])
    n_loaded = torch_setup.cached_models()
    single = backend.render([js[1]])
    assert torch_setup.cached_models() == n_loaded  # the pipeline is loaded once per process
    assert batch[1].frames[0].size == (64, 64)
    assert np.abs(arr(batch[1].frames[0]) - arr(single[0].frames[0])).max() <= 2  # own seeded generator per shot
    assert np.abs(arr(batch[0].frames[0]) - arr(batch[1].frames[0])).max() > 10
    p = batch[2].params
    assert (p["seed"], p["steps"], p["model"], p["pipeline"]) == (21, 2, "tiny-sd", "StableDiffusionPipeline")
    # shots batch when their prompt embeddings have the same length (padding would change a frame)
    assert max(o.params["batch"] for o in batch) >= 2


def test_ip_adapter_reference_embeds_steer_the_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # random tiny weights: a strong adapter shows its effect
    backend = DiffusersImageBackend(Settings(image_model="tiny-sd", ip_adapter="tiny-ip-adapter", device="cpu",
                                             families={"sd15": {"ip_adapter_scale": 4.0}}))
    bible = sample_bible()
    refs = {}
    for c in bible.characters:
        refs[c.id] = tmp_path / f"{c.id}.png"
        draw_sheet(c, (128, 128)).save(refs[c.id])
    job = jobs()[2]  # Ada and Vell: two references, one IP-Adapter, two image tokens groups
    job.references = {"ada-quill": refs["ada-quill"], "captain-vell": refs["captain-vell"]}
    other = jobs()[2]
    other.references = {"ada-quill": refs["bruno"], "captain-vell": refs["captain-vell"]}
    a, b = backend.render([job, other])
    assert a.params["ip_adapter_scale"] == 4.0 and set(a.params["references"]) == {"ada-quill", "captain-vell"}
    assert np.abs(arr(a.frames[0]) - arr(b.frames[0])).max() > 4  # a different reference sheet changes the frame
    embed = backend.character_embed(str(refs["ada-quill"]))
    assert tuple(embed.shape) == (32,)
    none = jobs()[0]
    assert backend.render([none])[0].params["ip_adapter_scale"] == 0.0  # no references: adapter silenced


def test_controlnet_inpaint_and_outpaint() -> None:
    settings = Settings(image_model="tiny-sd", controlnet="tiny-controlnet", device="cpu")
    backend = DiffusersImageBackend(settings)
    out = backend.render([jobs(64, 48)[0]])[0]
    assert out.params["pipeline"] == "StableDiffusionControlNetPipeline" and out.frames[0].size == (64, 48)
    plain = DiffusersImageBackend(Settings(image_model="tiny-sd", device="cpu"))
    job = jobs(64, 48)[1]
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    mask = Image.new("L", (64, 48), 0)
    mask.paste(255, (16, 16, 48, 40))
    fixed = plain.inpaint(image, mask, job)
    assert fixed.size == (64, 48) and fixed.getpixel((32, 28)) != (200, 40, 40)
    vertical = plain.outpaint(Image.new("RGB", (64, 36), (10, 120, 200)), (40, 72), job)
    assert vertical.size == (40, 72)


def test_image_to_video_clip() -> None:
    backend = DiffusersVideoBackend(Settings(video_model="tiny-svd", device="cpu"), max_frames=4)
    job = jobs()[0]
    job.init_image = Image.new("RGB", (64, 64), (90, 140, 60))
    out = backend.render([job])[0]
    assert len(out.frames) == 4 and out.frames[0].size == (64, 64)
    assert out.params["pipeline"] == "StableVideoDiffusionPipeline" and out.params["num_frames"] == 4
    assert "prompt" not in out.params  # SVD takes no prompt: only accepted arguments are passed


def test_render_episode_with_tiny_twin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PRESETS, "draft", Preset(name="draft", width=64, height=48, steps=2, fps=4,
                                                 image_backend="diffusers", video_backend=None))
    project = make_project(tmp_path / "series")
    settings = load_settings(project.root, preset="draft", image_model="tiny-sd", ip_adapter="tiny-ip-adapter",
                             device="cpu")
    first = render_episode(project, settings, 1)
    assert (first.rendered, first.reused) == (4, 0) and first.outputs
    refs = sorted((project.canon_dir / "references").glob("*/v*.png"))
    # one sheet per character and one plate per location the episode shows, made once, kept in canon
    assert sorted({p.parent.name for p in refs}) == ["ada-quill", "bruno", "captain-vell", "harbor-docks",
                                                     "old-town", "workshop"] and len(refs) == 6
    stages = [i["stage"] for i in first.items() if i["stage"] != "tts"]  # every sheet, plate and frame generated
    assert stages == ["reference"] * 6 + ["keyframe"] * 4
    side = json.loads(Path(first.shots[0].frame or "").with_suffix(".json").read_text())
    assert side["seed"] == 11 and side["model"] == "tiny-sd"
    assert set(side["references"]) == {"ada-quill", "bruno", "harbor-docks"}  # its cast's sheets, its place's plate
    second = render_episode(project, settings, 1)
    assert (second.rendered, second.reused, second.cut_rendered) == (0, 4, False)
    assert second.items() == []  # cache hits cost nothing
    assert sorted((project.canon_dir / "references").glob("*/v*.png")) == refs
