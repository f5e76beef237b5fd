"""Panel captions and burned-in subtitles, measured: text boxes stay inside the panel, subtitles above captions."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from render_sample import make_project, sample_bible, sample_episode, sample_shots

from showrunner.config import load_settings
from showrunner.models import DialogueLine, Shot
from showrunner.pipelines.render import render_episode
from showrunner.pipelines.render_jobs import build_jobs
from showrunner.tools.caption import MAX_SHARE, caption_layout
from showrunner.tools.preview import draw_panel

SUN = "Meet me where the sun shines on the harbor wall before the fog rolls back over the water"


def _shots(*texts: str) -> list[Shot]:
    shots = sample_shots()
    lines = [DialogueLine(speaker="Captain Vell", text=t) for t in texts]
    return [shots[0], shots[1].model_copy(update={"dialogue": lines}), *shots[2:]]


def _job(w: int, h: int, *texts: str):  # type: ignore[no-untyped-def]
    return build_jobs(sample_bible(), sample_episode(), 1, _shots(*texts), width=w, height=h, steps=0, fps=12)[1]


@pytest.mark.parametrize("size", [(640, 360), (360, 640), (1280, 720), (240, 426)])
def test_dialogue_is_wrapped_inside_the_panel_and_nothing_is_lost(size: tuple[int, int]) -> None:
    w, h = size
    job = _job(w, h, SUN)
    cap = caption_layout(job)
    assert cap.lines and h - cap.top <= h * MAX_SHARE
    for line in cap.lines:
        x0, y0, x1, y1 = line.box()
        assert cap.margin * 0.5 <= x0 and x1 <= w - cap.margin * 0.5, (line.text, x1, w)
        assert cap.top <= y0 and y1 <= h, (line.text, y1, h)
    spoken = " ".join(li.text for li in cap.lines if li.spoken)
    assert spoken == f"CAPTAIN VELL: “{SUN}”" and "…" not in spoken
    assert draw_panel(job).size == size


def test_text_too_long_for_the_band_shrinks_then_ends_with_an_ellipsis() -> None:
    job = _job(360, 640, *([SUN * 3] * 8))
    cap = caption_layout(job)
    assert h_ok(cap, 640) and cap.lines[-1].text.endswith("…")
    assert all(li.box()[2] <= 360 - cap.margin * 0.5 for li in cap.lines)


def h_ok(cap, h: int) -> bool:  # type: ignore[no-untyped-def]
    return h - cap.top <= h * MAX_SHARE and all(li.box()[3] <= h for li in cap.lines)


def _frame(mp4: bytes, t: float) -> np.ndarray:
    with av.open(io.BytesIO(mp4)) as c:
        stream = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(stream)]
    return frames[min(len(frames) - 1, round(t * 12))].astype(int)


def test_burned_subtitles_sit_above_the_panel_caption_in_a_vertical_cut(tmp_path) -> None:  # type: ignore[no-untyped-def]
    project = make_project(tmp_path / "series", _shots(SUN))
    settings = load_settings(project.root)
    plain = render_episode(project, settings, 1, aspect="9:16")
    soft = open(plain.outputs["mp4"], "rb").read()
    burned = render_episode(project, settings, 1, aspect="9:16", burn_subtitles=True)
    hard = open(burned.outputs["mp4"], "rb").read()
    jobs = build_jobs(sample_bible(), sample_episode(), 1, _shots(SUN), width=360, height=640, steps=0, fps=12)
    start = 0.0
    for job in jobs:
        mid = start + job.shot.duration / 2
        start += job.shot.duration
        ink = np.abs(_frame(hard, mid) - _frame(soft, mid)).max(axis=2) > 90
        if not job.shot.dialogue:
            assert ink.sum() < 50  # nothing burned where nobody speaks
            continue
        rows = np.where(ink.any(axis=1))[0]
        top = caption_layout(job).top
        assert rows.size and rows.max() < top, (job.shot.id, rows.max(), top)  # subtitle box above the caption
