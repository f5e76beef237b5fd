"""Each model family's production path on its tiny twin: whole long prompts, layout control, entity masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from render_sample import sample_bible, sample_episode, sample_shots

pytest.importorskip("diffusers")
pytest.importorskip("compel")

from showrunner.config import Settings  # noqa: E402
from showrunner.errors import BadInput  # noqa: E402
from showrunner.pipelines.render_jobs import build_jobs  # noqa: E402
from showrunner.tools.diffusers_image import DiffusersImageBackend  # noqa: E402
from showrunner.tools.families.sd import literal  # noqa: E402
from showrunner.tools.pose import layout_signature  # noqa: E402
from showrunner.tools.refsheet import draw_sheet  # noqa: E402

pytestmark = pytest.mark.usefixtures("module_tiny_dir")  # tiny twins built once per module, in a temp dir


def jobs(w: int = 64, h: int = 64):  # type: ignore[no-untyped-def]
    return build_jobs(sample_bible(), sample_episode(), 1, sample_shots(), width=w, height=h, steps=2, fps=4)


FAMILIES = [("tiny-sd", "tiny-controlnet", "sd15", "StableDiffusionControlNetPipeline"),
            ("tiny-sdxl", "tiny-sdxl-controlnet", "sdxl", "StableDiffusionXLControlNetPipeline"),
            ("tiny-flux", "tiny-flux-controlnet", "flux", "FluxControlNetPipeline")]


@pytest.mark.parametrize(("model", "controlnet", "family", "pipeline"), FAMILIES)
def test_every_family_gets_the_whole_prompt_and_the_pose_layout(model: str, controlnet: str, family: str,
                                                                  pipeline: str) -> None:
    backend = DiffusersImageBackend(Settings(image_model=model, controlnet=controlnet, device="cpu"))
    assert backend.family.name == family  # detected from model_index.json
    job = jobs()[2]
    pipe = backend.pipeline()
    tokenizer = pipe.tokenizer_2 if family == "flux" else pipe.tokenizer  # the encoder cross-attention reads
    n_tokens = len(tokenizer(job.prompt, truncation=False, add_special_tokens=False).input_ids)
    assert n_tokens > 77  # the planned prompt is longer than one CLIP window
    out = backend.render([job])[0]
    assert out.params["pipeline"] == pipeline and out.params["control"] == "pose" and out.frames[0].size == (64, 64)
    cover = out.params["prompt_tokens"]
    assert cover["complete"] and cover["covered"] >= n_tokens >= cover["tokens"] - 1
    # the tail of the prompt (past token 77) changes the embedding: nothing after the window is dropped
    a = backend.family.prompt_kwargs(pipe, [job.prompt + " zebra"], [job.negative_prompt])["prompt_embeds"]
    b = backend.family.prompt_kwargs(pipe, [job.prompt + " yellow"], [job.negative_prompt])["prompt_embeds"]
    assert a.shape == b.shape and float((a - b).abs().max()) > 1e-4


def test_compel_chunks_keep_every_token_and_read_no_syntax() -> None:
    backend = DiffusersImageBackend(Settings(image_model="tiny-sd", device="cpu"))
    pipe = backend.pipeline()
    (compel,) = backend.family._compel(pipe)  # type: ignore[attr-defined]
    text = jobs()[0].prompt + " (torn) coat+ well-kept -- \"quoted\""
    _, tokens, _ = compel.build_conditioning_tensor_for_conjunction(literal(text), return_tokenization=True)
    got = [int(t) for chunk in tokens for t in chunk.flatten() if int(t) not in (0, 1)]  # drop BOS/EOS/pad
    assert got == pipe.tokenizer(text, truncation=False, add_special_tokens=False).input_ids
    for job in jobs():  # every planned prompt of the episode is held whole
        kwargs = backend.family.prompt_kwargs(pipe, [job.prompt], [job.negative_prompt])
        n_tokens = len(pipe.tokenizer(job.prompt, truncation=False, add_special_tokens=False).input_ids)
        assert kwargs["prompt_embeds"].shape[1] // 77 * 75 >= n_tokens > 77


def test_family_settings_reach_the_pipeline(tmp_path: Path) -> None:
    settings = Settings(image_model="tiny-sd", device="cpu", families={"sd15": {
        "guidance": 3.0, "steps": 3, "scheduler": "EulerDiscreteScheduler"}})
    backend = DiffusersImageBackend(settings)
    out = backend.render([jobs()[1]])[0]
    assert (out.params["guidance_scale"], out.params["steps"]) == (3.0, 3)
    assert type(backend.pipeline().scheduler).__name__ == "EulerDiscreteScheduler"
    assert backend.identity()["scheduler"] == "EulerDiscreteScheduler"
    with pytest.raises(BadInput, match="unknown scheduler 'Nope'"):
        DiffusersImageBackend(Settings(image_model="tiny-sd", device="cpu",
                                       families={"sd15": {"scheduler": "Nope"}})).pipeline()
    with pytest.raises(BadInput, match="the sd15 family needs a ControlNetModel"):
        DiffusersImageBackend(Settings(image_model="tiny-sd", controlnet="tiny-flux-controlnet", device="cpu"))


def test_entity_masks_keep_each_reference_in_its_figure(tmp_path: Path) -> None:
    settings = Settings(image_model="tiny-sd", ip_adapter="tiny-ip-adapter", device="cpu",
                        families={"sd15": {"ip_adapter_scale": 6.0}})
    backend = DiffusersImageBackend(settings)
    refs = {}
    for c in sample_bible().characters:
        refs[c.id] = tmp_path / f"{c.id}.png"
        draw_sheet(c, (128, 128)).save(refs[c.id])
    job, other = jobs()[0], jobs()[0]  # wide: Ada left, Bruno right
    job.references = {"ada-quill": refs["ada-quill"], "bruno": refs["bruno"]}
    other.references = {"ada-quill": refs["ada-quill"], "bruno": refs["captain-vell"]}  # only Bruno's changes
    a, b = backend.render([job, other])
    assert a.params["ip_adapter_masks"] and a.params["ip_adapter_scale"] == 6.0
    diff = np.abs(np.asarray(a.frames[0], dtype=np.int16) - np.asarray(b.frames[0], dtype=np.int16)).sum(axis=2)
    boxes = dict(layout_signature(job, 64, 64))
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = boxes["ada-quill"], boxes["bruno"]
    in_bruno, in_ada = diff[by0:by1, bx0:bx1].mean(), diff[ay0:ay1, ax0:ax1].mean()
    assert in_bruno > 2 * in_ada  # Bruno's new reference steers Bruno's region, hardly Ada's


def test_flux_ip_adapter_references_steer_the_whole_frame(tmp_path: Path) -> None:
    backend = DiffusersImageBackend(Settings(image_model="tiny-flux", ip_adapter="tiny-flux-ip-adapter", device="cpu",
                                             families={"flux": {"ip_adapter_scale": 4.0}}))
    refs = {}
    for c in sample_bible().characters:
        refs[c.id] = tmp_path / f"{c.id}.png"
        draw_sheet(c, (128, 128)).save(refs[c.id])
    job, other = jobs()[2], jobs()[2]
    job.references = {"ada-quill": refs["ada-quill"], "captain-vell": refs["captain-vell"]}
    other.references = {"ada-quill": refs["bruno"], "captain-vell": refs["captain-vell"]}
    a, b = backend.render([job, other])
    assert a.params["ip_adapter_scale"] == 4.0 and a.params["ip_adapter_masks"] is False  # the documented fallback
    assert np.abs(np.asarray(a.frames[0], dtype=np.int16) - np.asarray(b.frames[0], dtype=np.int16)).max() > 1
    assert tuple(backend.reference_embed(str(refs["bruno"])).shape) == (32,)
    assert backend.render([jobs()[3]])[0].params["ip_adapter_scale"] == 0.0  # no references: silenced


def test_inpaint_keeps_unmasked_pixels_identical() -> None:
    backend = DiffusersImageBackend(Settings(image_model="tiny-flux", device="cpu"))
    image = Image.effect_noise((64, 48), 40).convert("RGB")
    mask = Image.new("L", (64, 48), 0)
    mask.paste(255, (16, 16, 48, 40))
    fixed = backend.inpaint(image, mask, jobs(64, 48)[1])
    before, after, inside = np.asarray(image), np.asarray(fixed), np.asarray(mask) > 0
    assert (before[~inside] == after[~inside]).all() and np.abs(before[inside].astype(int) - after[inside]).mean() > 5


def test_lora_from_family_settings_with_its_weight(tmp_path: Path) -> None:
    pytest.importorskip("peft")
    import torch
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    from showrunner.tools.tiny import build_tiny_sd

    pipe = build_tiny_sd()
    torch.manual_seed(3)
    pipe.unet.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_k", "to_v", "to_out.0"],
                                     init_lora_weights=False))
    StableDiffusionPipeline.save_lora_weights(tmp_path, unet_lora_layers=convert_state_dict_to_diffusers(
        get_peft_model_state_dict(pipe.unet)), safe_serialization=True)
    lora = str(tmp_path / "pytorch_lora_weights.safetensors")
    frames = {}
    for weight in (None, 0.0, 1.0):
        fam = {"sd15": {"loras": [{"path": lora, "weight": weight}]}} if weight is not None else {}
        backend = DiffusersImageBackend(Settings(image_model="tiny-sd", device="cpu", families=fam))
        frames[weight] = np.asarray(backend.render([jobs()[1]])[0].frames[0], dtype=np.int16)
    assert np.abs(frames[None] - frames[0.0]).max() <= 1 < np.abs(frames[None] - frames[1.0]).max()
    with pytest.raises(BadInput, match="LoRA /nope.safetensors not found"):
        DiffusersImageBackend(Settings(image_model="tiny-sd", device="cpu", families={
            "sd15": {"loras": [{"path": "/nope.safetensors"}]}})).pipeline()
