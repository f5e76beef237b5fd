"""The Studio in a real browser (Playwright driving the system Chromium), by clicks: every gate of a
2-episode scripted series, a rejection whose redraft addresses the notes, a retake that changes one panel, a
replacement image, a staged shot edit, and a nightly draft approved from the queue.

One server per project and one browser for the module (CPU is scarce). Screenshots go to ``tests/artifacts/``
(``SHOWRUNNER_TEST_ARTIFACTS`` elsewhere); with ``SHOWRUNNER_STUDIO_DOCS=1`` one per gate also goes to
``docs/studio/``. Skips when Playwright or a Chromium binary is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
uvicorn = pytest.importorskip("uvicorn")
CHROMIUM = os.environ.get("SHOWRUNNER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("SHOWRUNNER_TEST_ARTIFACTS") or REPO / "tests" / "artifacts")
DOCS = REPO / "docs" / "studio" if os.environ.get("SHOWRUNNER_STUDIO_DOCS") else None
ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash"}
WAIT = 180_000  # ms: a gate decision runs the graph (and a render) on a shared CPU


def _serve(root: Path) -> tuple[str, Any, threading.Thread]:
    from showrunner.studio.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(root, "browser-token"), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline, "the Studio did not start"
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from showrunner.config import load_settings
    from showrunner.pipelines import nightly, series
    from showrunner.pipelines.project import Project
    from showrunner.testing import ScriptedLLM, story_responder

    base = tmp_path_factory.mktemp("studio")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in ENV.items():
            mp.setenv(k, v)
        live, drafted = base / "live", base / "drafted"
        series.new_series(live, "A lighthouse keeper's daughter finds a map", 2, llm=ScriptedLLM(story_responder))
        mp.setenv("SHOWRUNNER_TTS", "none")  # the draft project needs no voices
        series.new_series(drafted, "A harbour crew hunts a ghost ship", 2, auto_approve=frozenset({"bible"}),
                          llm=ScriptedLLM(story_responder))
        proj = Project.open(drafted)
        assert nightly.run_night(proj, load_settings(proj.root), episodes=1,
                                 llm=ScriptedLLM(story_responder))["exit_code"] == 0
        mp.delenv("SHOWRUNNER_TTS")
        servers = {name: _serve(root) for name, root in (("live", live), ("drafted", drafted))}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                yield {"browser": browser, "roots": {"live": live, "drafted": drafted},
                       **{name: url for name, (url, _, _) in servers.items()}}
            finally:
                browser.close()
                for _, server, thread in servers.values():
                    server.should_exit = True
                    thread.join(timeout=10)


def snap(page: Any, name: str, *, doc: bool = False) -> None:
    page.screenshot(path=str(ARTIFACTS / f"studio-{name}.png"), full_page=True)
    if doc and DOCS is not None:
        DOCS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)


def at_gate(page: Any, gate: str, episode: int | str, rnd: int | None = None) -> None:
    sel = f'main[data-gate="{gate}"][data-episode="{episode}"]' + (f'[data-round="{rnd}"]' if rnd is not None else "")
    page.wait_for_selector(sel, timeout=WAIT)
    assert not page.locator("#flash.error").is_visible(), page.inner_text("#flash")


def frames(page: Any) -> dict[str, str]:
    return dict(page.eval_on_selector_all(
        "article.panel", "els => els.map(e => [e.dataset.shot, e.querySelector('img.frame').getAttribute('src')])"))


def loaded(page: Any, selector: str) -> list[int]:
    page.wait_for_function(f"() => [...document.querySelectorAll('{selector}')].every(i => i.complete)")
    return list(page.eval_on_selector_all(selector, "els => els.map(e => e.naturalWidth)"))


def changed_only(page: Any, before: dict[str, str], shot: str) -> dict[str, str]:
    page.wait_for_function("([s, old]) => { const i = document.querySelector(`#panel-${s} img.frame`);"
                           " return i && i.getAttribute('src') !== old; }", arg=[shot, before[shot]], timeout=WAIT)
    after = frames(page)
    assert {k for k in before if before[k] != after[k]} == {shot}  # only that panel changed
    assert all(w > 0 for w in loaded(page, "img.frame"))
    return after


def test_every_gate_by_clicks_with_reject_retake_replace_and_edit(studio: dict[str, Any], tmp_path: Path) -> None:
    page = studio["browser"].new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{studio['live']}/?token=browser-token")
    assert "token=" not in page.url  # kept in the cookie, out of history and screenshots
    snap(page, "overview-start")
    page.click("nav >> text=Gate")
    at_gate(page, "bible", 0)
    assert all(w > 0 for w in loaded(page, "img.sheet")) and page.locator("img.sheet").count() >= 2
    assert page.locator(".character audio").count() >= 1  # a play button where a voice sample exists
    snap(page, "bible", doc=True)
    page.click("#approve-gate")
    at_gate(page, "script", 1, 0)
    snap(page, "script", doc=True)
    page.fill("#reject-notes", "Give Mira a brass lantern in the first scene")
    page.click("#reject-gate")
    at_gate(page, "script", 1, 1)
    assert "Addresses notes: Give Mira a brass lantern" in page.inner_text("#scene-1")  # the redraft answers
    page.click("#approve-gate")
    at_gate(page, "storyboard", 1)
    first = frames(page)
    assert len(first) >= 3 and all(first.values()) and all(w > 0 for w in loaded(page, "img.frame"))
    snap(page, "storyboard", doc=True)
    shots = list(first)

    page.click(f"#panel-{shots[1]} button.retake")  # retake: a new seed, only that panel is redrawn
    after = changed_only(page, first, shots[1])
    assert "take 1" in page.inner_text(f"#panel-{shots[1]} h4")

    mine = tmp_path / "mine.png"
    Image.new("RGB", (640, 360), (30, 160, 90)).save(mine)
    page.set_input_files(f"#panel-{shots[2]} input.replace-file", str(mine))  # replace with my image
    after = changed_only(page, after, shots[2])

    page.click(f"#panel-{shots[0]} details:has(form.edit) summary")  # edit: staged until the gate is approved
    page.fill(f"#panel-{shots[0]} form.edit textarea[name=action]", "Mira lifts the brass lantern to the map.")
    page.click(f"#panel-{shots[0]} form.edit button[type=submit]")
    page.wait_for_selector(f"#panel-{shots[0]}.edited", timeout=WAIT)
    changed_only(page, after, shots[0])
    snap(page, "storyboard-steered")

    page.click("#approve-gate")
    at_gate(page, "final", 1)
    assert "Mira lifts the brass lantern" in page.inner_text(f"#panel-{shots[0]}")
    video = page.locator("video#cut")
    assert video.get_attribute("src").startswith("/media/cut/1.mp4") and page.locator("video#cut track").count() == 1
    page.wait_for_function("() => document.querySelector('video#cut').readyState >= 1", timeout=WAIT)
    assert page.eval_on_selector("video#cut", "v => v.duration") > 1
    snap(page, "final", doc=True)
    page.click("#approve-gate")
    at_gate(page, "script", 2)
    page.click("#approve-gate")
    at_gate(page, "storyboard", 2, 0)  # a per-shot note becomes the rejection's notes; the redraft answers it
    first2 = list(frames(page))[0]
    page.click(f"#panel-{first2} details:has(form.note) summary")
    page.fill(f"#panel-{first2} form.note textarea", "show the fog rolling in")
    page.click(f"#panel-{first2} form.note button")
    page.wait_for_function("() => document.querySelector('#reject-notes').value.includes('fog rolling')")
    assert page.input_value("#reject-notes") == f"{first2}: show the fog rolling in"
    page.click("#reject-gate")
    at_gate(page, "storyboard", 2, 1)
    assert "Addresses notes: " + f"{first2}: show the fog rolling in" in page.inner_text("#panels")
    page.click("#approve-gate")
    at_gate(page, "final", 2)
    page.click("#approve-gate")
    at_gate(page, "none", "")
    page.click("nav >> text=Overview")
    page.wait_for_selector("#series-status")
    assert page.inner_text("#series-status") == "done"
    assert [page.inner_text(f'tr[data-episode="{n}"] td:nth-child(2)') for n in (1, 2)] == ["approved"] * 2
    snap(page, "overview", doc=True)
    page.close()


def test_approve_a_nightly_draft_from_the_queue(studio: dict[str, Any]) -> None:
    page = studio["browser"].new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{studio['drafted']}/drafts?token=browser-token")
    page.wait_for_selector('#draft-1[data-status="waiting"]')
    assert "Storyboard" in page.inner_text("#draft-1") or "Episode 1" in page.inner_text("#draft-1")
    snap(page, "drafts", doc=True)
    page.click("#draft-1 button.approve-draft")
    page.wait_for_selector('#draft-1[data-status="approved"]', timeout=WAIT)
    from showrunner.memory.canon import Canon

    assert Canon(studio["roots"]["drafted"] / "canon").episode_numbers() == [1]
    page.close()

