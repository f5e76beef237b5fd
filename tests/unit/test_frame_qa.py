"""Frame QA on tiny random-weight twins: scores against approved references, bounded retakes, the ledger."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from render_sample import make_project, sample_bible, sample_episode, sample_shots

pytest.importorskip("torch")
pytest.importorskip("transformers")

from showrunner.cli.series_view import describe  # noqa: E402
from showrunner.config import PRESETS, Preset, Settings, load_settings  # noqa: E402
from showrunner.pipelines.frame_qa import NO_ENCODER, FrameCritic, pixel_flags  # noqa: E402
from showrunner.pipelines.ledger import meter_for, project_ledger  # noqa: E402
from showrunner.pipelines.references import set_reference  # noqa: E402
from showrunner.pipelines.render import render_episode  # noqa: E402
from showrunner.pipelines.render_jobs import take_seed  # noqa: E402
from showrunner.pipelines.report import _episode_md, frame_qa_summary  # noqa: E402
from showrunner.tools.frame_encoder import load_encoder  # noqa: E402

pytestmark = pytest.mark.usefixtures("module_tiny_dir")  # tiny twins built once per module, in a temp dir


@pytest.fixture
def small_draft(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PRESETS, "draft", Preset(name="draft", width=64, height=48, steps=2, fps=4,
                                                 image_backend="diffusers", video_backend=None))


def noise(seed: int, size: tuple[int, int] = (96, 96)) -> Image.Image:
    return Image.fromarray((np.random.RandomState(seed).rand(size[1], size[0], 3) * 255).astype("uint8"))


def test_pixel_statistics_flag_blank_and_black_frames() -> None:
    assert pixel_flags(Image.new("RGB", (32, 32), (0, 0, 0))) == ["black"]
    assert pixel_flags(Image.new("RGB", (32, 32), (128, 128, 128))) == ["blank"]
    assert pixel_flags(noise(0)) == []


def test_critic_scores_the_reference_itself_highest() -> None:
    encoder = load_encoder(Settings(frame_encoder="tiny-clip-vision", device="cpu"))
    assert encoder is not None
    a, b = Image.new("RGB", (80, 60), (200, 40, 40)), noise(1, (80, 60))
    a.paste((40, 40, 200), (20, 10, 60, 50))
    vec = encoder.embed([a, a, b])
    assert vec.shape[0] == 3 and np.allclose(np.linalg.norm(vec, axis=1), 1.0)
    assert float(vec[0] @ vec[1]) == pytest.approx(1.0) and float(vec[0] @ vec[2]) < 0.99


def test_without_an_encoder_frames_pass_unchecked_and_it_says_so(tmp_path: Path) -> None:
    project = make_project(tmp_path / "series")
    events: list[dict[str, object]] = []
    report = render_episode(project, load_settings(project.root, tts="none"), 1, progress=events.append)
    assert report.qa_notice == NO_ENCODER and all(s.qa is None for s in report.shots)
    assert [e for e in events if e["stage"] == "qa"] == [{"stage": "qa", "shot": "all", "status": NO_ENCODER}]
    assert not any(i["stage"] == "retake" for i in report.items())
    assert frame_qa_summary(report.model_dump(mode="json")) == {"notice": NO_ENCODER}


def test_preview_frames_are_scored_but_never_retaken(tmp_path: Path) -> None:
    project = make_project(tmp_path / "series", sample_shots()[:2])
    settings = load_settings(project.root, tts="none", frame_encoder="tiny-clip-vision", qa_threshold=1.0)
    report = render_episode(project, settings, 1)
    assert report.qa_notice is None and report.sheets  # sheets for the critic, drawn by the preview backend
    for shot in report.shots:
        assert shot.qa is not None and len(shot.qa.takes) == 1 and not shot.qa.passed  # a panel ignores seeds
        assert "below 1.00" in shot.qa.summary() and "ada-quill" in shot.qa.takes[0].scores
    assert not any(i["stage"] == "retake" for i in report.items())
    again = render_episode(project, settings, 1)  # cached frames keep the scores they were rendered with
    assert [s.qa for s in again.shots] == [s.qa for s in report.shots] and again.rendered == 0


def test_planted_wrong_reference_is_retaken_within_the_bound(tmp_path: Path, small_draft: None) -> None:
    project = make_project(tmp_path / "series", sample_shots()[:3])
    base = dict(preset="draft", image_model="tiny-sd", ip_adapter="tiny-ip-adapter", device="cpu", tts="none",
                frame_encoder="tiny-clip-vision", qa_retakes=2)
    first = render_episode(project, load_settings(project.root, qa_threshold=-1.0, **base), 1)
    right = [s for shot in first.shots for s in (shot.qa.takes[0].scores.values() if shot.qa else [])]
    assert len(right) == 5 and all(len(s.qa.takes) == 1 for s in first.shots if s.qa)  # everyone passes
    threshold = min(right) - 0.02
    # plant a very different image as Bruno's sheet: only the shot with Bruno changes, and it fails every take
    noise(7).save(tmp_path / "wrong.png")
    settings = load_settings(project.root, qa_threshold=threshold, **base)
    rec, _ = set_reference(project.root, settings, "Bruno", tmp_path / "wrong.png")
    assert rec.version == 2 and rec.source == "human"
    second = render_episode(project, settings, 1)
    shots = {s.id: s for s in second.shots}
    planted = shots["s01-01"].qa
    assert shots["s01-01"].status == "rendered" and planted is not None
    assert [t.take for t in planted.takes] == [0, 1, 2]  # the planned seed and two retakes: the bound
    assert [t.seed for t in planted.takes] == [11, take_seed(11, 1), take_seed(11, 2)]
    assert all(t.scores["bruno"] < threshold for t in planted.takes) and not planted.passed
    assert all(s.status == "reused" for sid, s in shots.items() if sid != "s01-01")
    side = json.loads(Path(shots["s01-01"].frame or "").with_suffix(".json").read_text())
    assert side["qa"]["kept"] == planted.kept and side["seed"] == planted.takes[planted.kept].seed
    meter_for(project_ledger(project.root)).renders(second.items(), {"episode": 1, "node": "render"})
    retakes = project_ledger(project.root).entries(stage="retake")
    assert [(r["shot"], r["take"]) for r in retakes] == [("s01-01", 1), ("s01-01", 2)]
    # scores reach the gates and the report
    summary = frame_qa_summary(second.model_dump(mode="json"))
    assert summary["retakes"] == 2 and summary["passed"] == 2
    md = "\n".join(_episode_md({"episode": 1, "frame_qa": summary}))
    assert "Frame QA" in md and "bruno" in md and "2 retake(s)" in md
    shown = describe({"gate": "final", "episode": 1, "artifact": {"episode": 1, "shots": [
        {"id": "s01-01", "framing": "wide", "camera_move": "static", "duration": 2}]},
        "render": second.model_dump(mode="json")}).plain
    assert "frame QA: ada-quill" in shown


def test_critic_retakes_a_black_frame(tmp_path: Path) -> None:
    from showrunner.pipelines.render_jobs import build_jobs
    from showrunner.tools.base import RenderOutput

    class Flaky:  # a backend whose first take of every shot is black (what a NaN decode gives)
        name, kind = "flaky", "image"

        def __init__(self) -> None:
            self.calls = 0

        def identity(self) -> dict[str, str]:
            return {"backend": "flaky"}

        def render(self, jobs):  # type: ignore[no-untyped-def]
            self.calls += 1
            return [RenderOutput([Image.new("RGB", (64, 48), 0) if self.calls == 1 else noise(j.seed % 1000)])
                    for j in jobs]

    encoder = load_encoder(Settings(frame_encoder="tiny-clip-vision", device="cpu"))
    assert encoder is not None
    jobs = build_jobs(sample_bible(), sample_episode(), 1, sample_shots()[:2], width=64, height=48, steps=1, fps=4)
    backend = Flaky()
    outs, qas = FrameCritic(encoder, -1.0, 3).check(backend, jobs, backend.render(jobs), [{}, {}])
    assert [q.takes[0].flags for q in qas] == [["black"], ["black"]]
    assert all(len(q.takes) == 2 and q.passed and q.kept == 1 for q in qas) and backend.calls == 2
    assert pixel_flags(outs[0].frames[0]) == []


def test_a_whole_clip_counts_people_and_flags_a_wrong_count() -> None:
    import dataclasses

    from showrunner.pipelines.render_jobs import build_jobs

    encoder = load_encoder(Settings(frame_encoder="tiny-clip", device="cpu"))
    assert encoder is not None and encoder.tokenizer is not None
    job = build_jobs(sample_bible(), sample_episode(), 1, sample_shots()[:1], width=64, height=48, steps=1, fps=4)[0]
    frame = noise(3, (64, 48))
    seen = encoder.count_people(frame)
    assert seen is not None and 0 <= seen <= 4
    ada, other = sample_bible().characters[0], (seen + 1) % 5
    critic = FrameCritic(encoder, -1.0, 0)
    ok = critic.review(frame, dataclasses.replace(job, characters=[ada] * seen), {})
    bad = critic.review(frame, dataclasses.replace(job, characters=[ada] * other), {})
    assert (ok.count, ok.flags, ok.passed) == (seen, [], True)
    assert (bad.count, bad.flags, bad.passed) == (seen, [f"count {seen} not {other}"], False)
    vision_only = load_encoder(Settings(frame_encoder="tiny-clip-vision", device="cpu"))
    assert vision_only is not None and vision_only.count_people(frame) is None  # cannot count: no flag, no guess
