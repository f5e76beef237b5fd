"""Render pipeline with the preview backend: the issue's must-show through the CLI, cache counts, edits."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import opentimelineio as otio
import pytest
from PIL import Image
from render_sample import make_project

from showrunner.cli.main import main
from showrunner.config import load_settings
from showrunner.errors import BadInput
from showrunner.memory.canon import Canon
from showrunner.pipelines.render import render_episode
from showrunner.tools.base import get_backend


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_render_cli_must_show(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWRUNNER_TTS", "none")  # a silent cut keeps the planned lengths (audio: test_audio.py)
    project = make_project(tmp_path / "series")
    p = str(project.root)
    code, out, err = run_cli(capsys, "render", "--episode", "1", "--json", "-p", p)
    assert code == 0, err
    report = json.loads(out)
    assert (report["rendered"], report["reused"], report["cut_rendered"]) == (4, 0, True)
    outputs = {k: Path(v) for k, v in report["outputs"].items()}
    assert all(path.is_file() for path in outputs.values())

    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(outputs["mp4"])],
                           capture_output=True, text=True).stderr
    assert re.search(r"Stream #0:\d.*Video: h264", probe) and re.search(r"Stream #0:\d.*Subtitle: mov_text", probe)
    assert "Duration: 00:00:06.00" in probe  # 2 + 1.5 + 1.5 + 1 seconds of shots
    srt = outputs["srt"].read_text()
    assert "ADA QUILL: A leak!" in srt and "00:00:02,000 --> 00:00:03,500" in srt

    timeline = otio.adapters.read_from_file(str(outputs["otio"]))
    clips = list(timeline.find_clips())
    assert [c.name for c in clips] == ["s01-01", "s01-02", "s02-01", "s03-01"]
    meta = clips[1].metadata["showrunner"]
    assert meta["shot_id"] == "s01-02" and meta["seed"] == 12 and "Ada kneels" in meta["prompt"]
    assert clips[1].source_range.duration.to_seconds() == pytest.approx(1.5)
    story = json.loads(outputs["story_json"].read_text())
    assert len(story["Shots"]) == 4 and story["Shots"][2]["Characters Appearing"]["en"] == ["Ada Quill", "Captain Vell"]
    with Image.open(outputs["contact_sheet"]) as sheet:
        assert sheet.width > 1000

    code, out, _ = run_cli(capsys, "render", "--episode", "1", "--json", "-p", p)
    again = json.loads(out)
    assert (again["rendered"], again["reused"], again["cut_rendered"]) == (0, 4, False)

    canon = Canon(project.canon_dir)
    shots = canon.storyboard(1)
    assert shots is not None
    shots[1].action = "Ada gasps and drops her wrench."
    canon.save_storyboard(1, shots)
    code, out, _ = run_cli(capsys, "render", "--episode", "1", "--json", "-p", p)
    edited = json.loads(out)
    assert (edited["rendered"], edited["reused"], edited["cut_rendered"]) == (1, 3, True)
    assert [s["status"] for s in edited["shots"]] == ["reused", "rendered", "reused", "reused"]

    frame = edited["shots"][1]["frame"]
    code, out, _ = run_cli(capsys, "verify", frame, "--json")
    result = json.loads(out)
    assert code == 0 and result["valid"] and result["ai_generated"] and result["trusted"]
    assert result["sidecar"]["shot"] == "s01-02" and result["sidecar"]["seed"] == 12
    code, out, _ = run_cli(capsys, "verify", str(outputs["mp4"]), "--json")
    assert code == 0 and json.loads(out)["valid"]

    data = bytearray(Path(frame).read_bytes())
    idat = data.find(b"IDAT")
    data[idat + 40] ^= 0xFF  # flip one byte of pixel data: the hard binding no longer matches
    tampered = tmp_path / "series" / "renders" / "tampered.png"
    tampered.write_bytes(bytes(data))
    code, out, _ = run_cli(capsys, "verify", str(tampered), "--json")
    assert code == 1 and not json.loads(out)["valid"]
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    code, out, _ = run_cli(capsys, "verify", str(plain))
    assert code == 1 and "no C2PA manifest" in " ".join(out.split())


def test_shot_replace_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "series")
    p = str(project.root)
    mine = tmp_path / "mine.jpg"
    Image.new("RGB", (320, 180), (10, 200, 30)).save(mine)
    code, _, err = run_cli(capsys, "shot", "replace", str(mine), "--episode", "1", "--shot", "s02-01", "-p", p)
    assert code == 0, err
    code, out, _ = run_cli(capsys, "render", "--episode", "1", "--json", "-p", p)
    report = json.loads(out)
    assert (report["rendered"], report["human"]) == (3, 1)
    human = report["shots"][2]
    assert human["status"] == "human"
    code, out, _ = run_cli(capsys, "verify", human["frame"], "--json")
    res = json.loads(out)
    assert res["valid"] and not res["ai_generated"] and res["sidecar"]["human_supplied"] is True

    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    code, _, err = run_cli(capsys, "shot", "replace", str(junk), "--episode", "1", "--shot", "s02-01", "-p", p)
    assert code == 2 and err.startswith("error:") and "not a readable image" in err and "\n" == err[-1]
    code, _, err = run_cli(capsys, "render", "--episode", "1", "--shot", "zz", "-p", p)
    assert code == 2 and "s01-01" in err
    code, _, err = run_cli(capsys, "render", "--episode", "9", "-p", p)
    assert code == 3 and "no approved storyboard" in err


def test_unknown_backend_lists_valid_names() -> None:
    with pytest.raises(BadInput, match=r"unknown image backend 'nope'; valid: diffusers, preview"):
        get_backend("nope", load_settings(), kind="image")


def test_crash_loses_only_the_shot_in_flight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from showrunner.tools.preview import PreviewBackend

    project = make_project(tmp_path / "series")
    settings = load_settings(project.root)
    real = PreviewBackend.render
    calls: list[str] = []

    def crashing(self, jobs):  # type: ignore[no-untyped-def]
        calls.append(jobs[0].shot.id)
        if jobs[0].shot.id == "s02-01":
            raise RuntimeError("power cut")
        return real(self, jobs)

    monkeypatch.setattr(PreviewBackend, "render", crashing)
    with pytest.raises(RuntimeError):
        render_episode(project, settings, 1)
    monkeypatch.setattr(PreviewBackend, "render", real)
    report = render_episode(project, settings, 1)
    assert (report.rendered, report.reused) == (2, 2)  # the two finished before the crash were kept
    assert not list(project.renders_dir.rglob("*.tmp"))


def test_vertical_cut_and_burned_subtitles(tmp_path: Path) -> None:
    project = make_project(tmp_path / "series")
    report = render_episode(project, load_settings(project.root), 1, aspect="9:16", burn_subtitles=True)
    mp4 = Path(report.outputs["mp4"])
    assert mp4.name == "ep-001-9x16.mp4"
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(mp4)],
                           capture_output=True, text=True).stderr
    assert "360x640" in probe and "Subtitle: mov_text" in probe
