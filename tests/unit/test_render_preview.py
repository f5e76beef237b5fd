"""The preview storyboard backend: deterministic, consistent by construction, framing-aware."""

from __future__ import annotations

import io

from render_sample import sample_bible, sample_episode, sample_shots

from showrunner.models import Framing
from showrunner.pipelines.render_jobs import build_jobs, frame_key
from showrunner.tools.look import character_palette, location_backdrop
from showrunner.tools.preview import PreviewBackend


def _jobs(w: int = 640, h: int = 360):  # type: ignore[no-untyped-def]
    return build_jobs(sample_bible(), sample_episode(), 1, sample_shots(), width=w, height=h, steps=0, fps=12)


def _png(img) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_same_spec_same_bytes_and_sizes() -> None:
    backend = PreviewBackend()
    a = [_png(o.frames[0]) for o in backend.render(_jobs())]
    b = [_png(o.frames[0]) for o in backend.render(_jobs())]
    assert a == b and len(set(a)) == 4
    portrait = backend.render(_jobs(360, 640))[0].frames[0]
    assert portrait.size == (360, 640)


def test_framing_changes_the_panel_and_the_key() -> None:
    backend = PreviewBackend()
    job = _jobs()[1]
    wide = job.shot.model_copy(update={"framing": Framing.wide})
    close = job.shot.model_copy(update={"framing": Framing.close_up})
    jw, jc = (type(job)(**{**job.__dict__, "shot": s}) for s in (wide, close))
    iw, ic = (backend.render([j])[0].frames[0] for j in (jw, jc))
    assert _png(iw) != _png(ic)
    # the close-up's head fills the frame: the skin tone covers far more of the picture
    skin = character_palette(job.characters[0]).skin
    count = [dict((c, n) for n, c in im.getcolors(1 << 24)).get(skin, 0) for im in (iw, ic)]
    assert count[1] > 10 * count[0]
    assert frame_key(jw, backend.identity()) != frame_key(jc, backend.identity())


def test_palettes_and_backdrops_are_canon_derived() -> None:
    bible = sample_bible()
    ada, bruno = bible.characters[0], bible.characters[1]
    assert character_palette(ada) == character_palette(ada.model_copy())
    assert character_palette(ada).primary == (52, 96, 196)  # "blue overalls"
    assert character_palette(bruno).primary == (0x33, 0x33, 0x44)  # explicit palette wins
    docks, town = bible.locations[0], bible.locations[2]
    assert location_backdrop(docks, "dawn").kind == "sea"
    assert location_backdrop(town, "night").kind == "city"
    assert location_backdrop(town, "night").sky != location_backdrop(town, "day").sky


def test_preview_is_fast() -> None:
    import time

    jobs = _jobs() * 5
    t = time.perf_counter()
    PreviewBackend().render(jobs)
    assert (time.perf_counter() - t) / len(jobs) < 0.5  # tens of ms normally; generous under load
