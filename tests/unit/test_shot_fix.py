"""``showrunner shot fix``: masked inpainting on the tiny twin through the CLI; one-line errors otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from render_sample import make_project
from test_render import run_cli

from showrunner.config import PRESETS, Preset
from showrunner.pipelines.provenance import verify


def test_shot_fix_needs_a_diffusion_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "series")
    mask = tmp_path / "mask.png"
    Image.new("L", (64, 36), 255).save(mask)
    code, _, err = run_cli(capsys, "shot", "fix", "--episode", "1", "--shot", "s01-01", "--mask", str(mask),
                           "--prompt", "a red scarf", "-p", str(project.root))
    assert code == 2 and err.startswith("error: shot fix needs a diffusion backend") and err.count("\n") == 1


def test_shot_fix_changes_only_the_masked_pixels(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("diffusers")
    monkeypatch.setenv("SHOWRUNNER_TINY_DIR", str(tmp_path / "tiny"))
    monkeypatch.setenv("SHOWRUNNER_TTS", "none")
    monkeypatch.setitem(PRESETS, "draft", Preset(name="draft", width=64, height=48, steps=2, fps=4,
                                                 image_backend="diffusers", video_backend=None))
    project = make_project(tmp_path / "series")
    p = str(project.root)
    (project.root / "settings.json").write_text(json.dumps({"image_model": "tiny-sd", "ip_adapter": "tiny-ip-adapter",
                                                                  "device": "cpu"}))
    code, out, err = run_cli(capsys, "render", "--episode", "1", "--preset", "draft", "--json", "-p", p)
    assert code == 0, err
    before_path = Path(json.loads(out)["shots"][0]["frame"])
    mask = Image.new("L", (64, 48), 0)
    mask.paste(255, (8, 8, 40, 32))
    mask_path = tmp_path / "mask.png"
    mask.resize((128, 96), Image.Resampling.NEAREST).save(mask_path)  # same aspect ratio: resized to the frame
    args = ["shot", "fix", "--episode", "1", "--shot", "s01-01", "--mask", str(mask_path), "--prompt",
            "a (torn) red scarf", "--preset", "draft", "-p", p]
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    record = json.loads(out)
    before, after = (np.asarray(Image.open(f).convert("RGB"), dtype=np.int16) for f in (before_path, record["frame"]))
    inside = np.asarray(mask) > 0
    assert (before[~inside] == after[~inside]).all()  # pasted back through the mask: byte-identical outside
    assert np.abs(before[inside] - after[inside]).mean() > 5  # and really repainted inside
    assert record["kind"] == "fix" and record["prompt"].startswith("a (torn) red scarf. Ada and Bruno walk")
    assert set(record["references"]) == {"ada-quill", "bruno", "harbor-docks"}  # the frame's own (sheets, plate)
    assert record["cut_rendered"] and Path(record["cut"]["mp4"]).is_file()
    overrides = json.loads((project.renders_dir / "ep-001" / "overrides.json").read_text())
    assert overrides["s01-01"]["frame"] == record["frame"] and overrides["s01-01"]["human_supplied"] is False
    booked = [json.loads(x) for x in (project.root / "logs" / "ledger.jsonl").read_text().splitlines()]
    assert [r["shot"] for r in booked if r.get("stage") == "fix"] == ["s01-01"]  # the fix is metered like a render
    check = verify(Path(record["frame"]))
    assert check["valid"] and check["ai_generated"]
    code, out, _ = run_cli(capsys, "render", "--episode", "1", "--preset", "draft", "--json", "-p", p)
    shot = json.loads(out)["shots"][0]
    assert shot["frame"] == record["frame"] and json.loads(out)["rendered"] == 0

    Image.new("L", (64, 48), 0).save(mask_path)
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and "has no white pixels" in err
    Image.new("L", (64, 64), 255).save(mask_path)
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and "aspect ratio" in err
    jpeg = tmp_path / "mask.jpg"
    Image.new("L", (64, 48), 255).save(jpeg)
    code, _, err = run_cli(capsys, *[jpeg.as_posix() if a == str(mask_path) else a for a in args])
    assert code == 2 and "must be a PNG" in err
