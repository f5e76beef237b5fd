"""Pure parts of model families and layout control: prompt order, per-family settings, masks, pose skeletons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from render_sample import sample_bible, sample_episode, sample_shots

from showrunner.config import Settings, load_settings
from showrunner.errors import BadInput
from showrunner.pipelines.render_jobs import build_jobs
from showrunner.tools import families
from showrunner.tools.pose import entity_masks, layout_signature, pose_image


def jobs(w: int = 320, h: int = 180):  # type: ignore[no-untyped-def]
    return build_jobs(sample_bible(), sample_episode(), 1, sample_shots(), width=w, height=h, steps=2, fps=4)


def test_prompt_orders_action_framing_looks_place_style() -> None:
    job = jobs()[0]
    p = job.prompt
    assert p.startswith("Ada and Bruno walk along the docks at dawn. wide shot. Ada Quill (")
    i_look, i_place, i_move, i_style = (p.index("short red hair"), p.index("Harbor Docks"), p.index("pan right"),
                                        p.index(sample_bible().style_guide.rstrip(".")))
    assert i_look < i_place < i_move < i_style


def test_family_settings_merge_over_defaults_from_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"families": {"sdxl": {"guidance": 5.0, "steps": 20}}}))
    s = load_settings(tmp_path)
    assert (s.families["sdxl"].guidance, s.families["sdxl"].steps, s.families["sdxl"].ip_adapter_scale) == (5.0, 20,
                                                                                                           0.6)
    assert s.families["flux"].guidance == 3.5 and s.families["sd15"].guidance == 7.0  # untouched defaults
    monkeypatch.setenv("SHOWRUNNER_FAMILIES", '{"flux": {"loras": [{"path": "/x.safetensors", "weight": 0.5}]}}')
    monkeypatch.setenv("SHOWRUNNER_FAMILY", "flux")
    s = load_settings(tmp_path)
    assert s.family == "flux" and s.families["flux"].loras[0].weight == 0.5 and s.families["sdxl"].guidance == 6.0
    with pytest.raises(BadInput, match="unknown model family 'sd3'"):
        load_settings(None, families={"sd3": {}})


def test_family_detection_from_model_index_and_unsupported_combinations(tmp_path: Path) -> None:
    for cls, name in (("StableDiffusionPipeline", "sd15"), ("StableDiffusionXLPipeline", "sdxl"),
                      ("FluxPipeline", "flux")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model_index.json").write_text(json.dumps({"_class_name": cls}))
        assert families.detect(str(tmp_path / name)) == name
    assert families.detect(str(tmp_path / "missing")) is None
    (tmp_path / "sd3").mkdir()
    (tmp_path / "sd3" / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusion3Pipeline"}))
    with pytest.raises(BadInput, match="StableDiffusion3Pipeline, not a supported family"):
        families.resolve(Settings(), str(tmp_path / "sd3"))
    with pytest.raises(BadInput, match="image_model is a sd15 model but family is flux"):
        families.resolve(Settings(family="flux"), str(tmp_path / "sd15"))
    fam, fs = families.resolve(Settings(family="sdxl"), str(tmp_path / "missing"))  # no model_index: the setting
    assert fam.name == "sdxl" and fs.guidance == 6.0 and fam.controlnet_class == "ControlNetModel"
    assert families.resolve(Settings(), str(tmp_path / "flux"))[0].controlnet_class == "FluxControlNetModel"
    (tmp_path / "cn").mkdir()
    (tmp_path / "cn" / "config.json").write_text(json.dumps({"_class_name": "ControlNetModel"}))
    with pytest.raises(BadInput, match="is a ControlNetModel; the flux family needs a FluxControlNetModel"):
        families.resolve(Settings(controlnet=str(tmp_path / "cn")), str(tmp_path / "flux"))
    assert families.resolve(Settings(controlnet=str(tmp_path / "cn")), str(tmp_path / "sdxl"))[0].name == "sdxl"


def test_entity_masks_follow_the_storyboard_layout() -> None:
    wide, _, over, close = jobs()
    ids = ["ada-quill", "bruno", "harbor-docks"]
    ada, bruno, plate = (np.asarray(m) > 0 for m in entity_masks(wide, ids, 320, 180))
    boxes = dict(layout_signature(wide, 320, 180))
    assert boxes["ada-quill"][2] < boxes["bruno"][0]  # two slots, left to right as in the panel
    assert ada.any() and bruno.any() and not (ada & bruno).any()
    assert not (plate & (ada | bruno)).any() and (plate | ada | bruno).all()  # the plate is the background
    # a close-up shows only the speaker: the other character's reference gets nothing
    assert [m.getbbox() is None for m in entity_masks(close, ["captain-vell", "ada-quill"], 320, 180)] == [False,
                                                                                                            True]
    assert len(layout_signature(over, 320, 180)) == 2


def test_pose_skeletons_stand_where_the_figures_stand() -> None:
    wide = jobs()[0]
    img = np.asarray(pose_image(wide, 320, 180))
    lit = img.sum(axis=2) > 0
    for _, (x0, y0, x1, y1) in layout_signature(wide, 320, 180):
        assert lit[y0:y1, x0:x1].sum() > 50  # a skeleton inside each figure's box
    outside = lit.copy()
    for _, (x0, y0, x1, y1) in layout_signature(wide, 320, 180):
        outside[y0:y1, x0:x1] = False
    assert outside.sum() < 0.02 * lit.sum()
    assert {tuple(img[y, x]) for y, x in zip(*np.nonzero(lit), strict=True)} >= {(255, 0, 0), (0, 0, 255)}
