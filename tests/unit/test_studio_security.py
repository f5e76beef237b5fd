"""The Studio's guards over HTTP (Starlette's TestClient, no browser): token, cookie, cross-site writes, Host,
path-traversal ids, upload size and type; and one approval through the page API moves the run on."""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from showrunner.pipelines import series  # noqa: E402
from showrunner.studio import actions  # noqa: E402
from showrunner.studio.app import create_app  # noqa: E402
from showrunner.studio.auth import COOKIE, HEADER  # noqa: E402
from showrunner.testing import ScriptedLLM, story_responder  # noqa: E402

ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash", "SHOWRUNNER_TTS": "none"}
TOKEN = "t0ken-for-tests"


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-episode series waiting at episode 1's storyboard gate (bible and script auto-approved)."""
    root = tmp_path_factory.mktemp("studio") / "series"
    with pytest.MonkeyPatch.context() as mp:
        for k, v in ENV.items():
            mp.setenv(k, v)
        series.new_series(root, "A lighthouse keeper's daughter finds a map", 2,
                          auto_approve=frozenset({"bible", "script"}), llm=ScriptedLLM(story_responder))
    return root


@pytest.fixture
def root(_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    return Path(shutil.copytree(_template, tmp_path / "series"))


@pytest.fixture
def client(root: Path) -> TestClient:
    return TestClient(create_app(root, TOKEN, hosts=frozenset({"testserver"})))


def png(size: tuple[int, int] = (64, 36)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


def authed(client: TestClient) -> TestClient:
    assert client.get(f"/?token={TOKEN}").status_code == 200
    return client


def shots(root: Path) -> list[str]:
    pend = series.pending(series.Project.open(root))
    assert pend is not None
    return [s["id"] for s in pend["artifact"]["shots"]]


def test_every_request_needs_the_token(client: TestClient) -> None:
    for path in ("/", "/gate", "/drafts", "/api/progress", "/media/frame/1/e001-s01-01", "/static/studio.js"):
        assert client.get(path).status_code == 401, path
        assert client.get(path + ("&" if "?" in path else "?") + "token=wrong").status_code == 401, path
        assert client.get(path, headers={HEADER: "wrong"}).status_code == 401, path
    first = client.get(f"/?token={TOKEN}")
    assert first.status_code == 200
    cookie = first.headers["set-cookie"]
    assert f"{COOKIE}={TOKEN}" in cookie and "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert first.headers["referrer-policy"] == "no-referrer"
    page = client.get("/gate")  # the cookie now carries the token
    assert page.status_code == 200 and "/media/frame/1/e001-s01-01?v=" in page.text
    assert client.get("/media/frame/1/e001-s01-01").headers["content-type"] == "image/png"


def test_writes_need_the_header_and_same_origin(client: TestClient, root: Path) -> None:
    authed(client)
    before = (root / "state" / "checkpoints.sqlite").read_bytes()
    body = json.dumps({"action": "approve"})
    assert client.post("/api/decide", content=body).status_code == 403  # cookie alone: a cross-site form post
    assert client.post("/api/decide", content=body, headers={HEADER: "wrong"}).status_code == 403
    evil = {HEADER: TOKEN, "origin": "http://evil.example"}
    assert client.post("/api/decide", content=body, headers=evil).status_code == 403
    assert (root / "state" / "checkpoints.sqlite").read_bytes() == before
    other_host = client.get("/", headers={"host": "attacker.example"})  # DNS rebinding
    assert other_host.status_code == 403


def test_client_ids_never_become_paths(client: TestClient, root: Path) -> None:
    authed(client)
    for path in ("/media/frame/1/..%2F..%2Fproject.json", "/media/frame/1/%2Fetc%2Fpasswd",
                 "/media/sheet/..%2F..%2Fproject.json", "/media/voice/..", "/media/project.json/x",
                 "/media/frame/9/e001-s01-01", "/media/cut/1.mp4", "/static/../project.json"):
        res = client.get(path)
        assert res.status_code == 404, path
        assert b'"format"' not in res.content
    h = {HEADER: TOKEN}
    for verb in ("retake", "approve", "note"):
        assert client.post(f"/api/shot/1/..%2F..%2Fproject.json/{verb}", content="{}", headers=h).status_code == 400
        res = client.post(f"/api/shot/1/..%2E/{verb}", content='{"notes": "x"}', headers=h)
        assert res.status_code == 400 and "has no shot" in res.json()["error"]
    assert client.post("/api/shot/x/e001-s01-01/retake", content="{}", headers=h).status_code == 400
    assert not list(root.rglob("*.upload"))


def test_uploads_are_limited_checked_reencoded_and_signed(client: TestClient, root: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    authed(client)
    sid = shots(root)[1]
    url, h = f"/api/shot/1/{sid}/replace", {HEADER: TOKEN, "content-type": "image/png"}
    monkeypatch.setattr(actions, "MAX_UPLOAD", 4096)
    big = client.post(url, content=png((900, 900)) + b"\0" * 5000, headers=h)
    assert big.status_code == 413 and "over" in big.json()["error"]
    text = client.post(url, content=b"#!/bin/sh\necho not an image\n", headers=h)
    assert text.status_code == 415 and "PNG or JPEG" in text.json()["error"]
    broken = client.post(url, content=b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, headers=h)
    assert broken.status_code == 400  # looks like PNG, Pillow cannot decode it
    ok = client.post(url, content=png(), headers=h)
    assert ok.status_code == 200, ok.text
    record = json.loads((root / "renders" / "ep-001" / "overrides.json").read_text())[sid]
    stored = Path(record["frame"])
    assert stored.is_relative_to(root / "renders" / "frames" / "human") and stored.read_bytes()[:8] == png()[:8]
    assert stored.read_bytes() != png()  # re-encoded and signed (C2PA manifest embedded)
    assert record["human_supplied"] and not list((root / "state" / "uploads").iterdir())
    page = client.get("/gate").text
    assert f"/media/frame/1/{sid}?v={record['sha256'][:16]}" in page


def test_approve_through_the_page_api_moves_the_run_on(client: TestClient, root: Path) -> None:
    authed(client)
    res = client.post("/api/decide", content=json.dumps({"action": "approve", "notes": "good"}),
                      headers={HEADER: TOKEN})
    assert res.status_code == 200 and "job" in res.json()
    deadline = time.time() + 120
    while (job := client.get("/api/progress").json()["job"])["running"]:
        assert time.time() < deadline
        time.sleep(0.2)
    assert job["error"] is None and job["frames_total"] == job["frames_done"] > 0
    proc = subprocess.run([sys.executable, "-m", "showrunner.cli.main", "status", "--json", "-p", str(root)],
                          capture_output=True, text=True, timeout=120)
    assert json.loads(proc.stdout)["pending"]["gate"] == "final"
    last = [json.loads(x) for x in (root / "logs" / "decisions.jsonl").read_text().splitlines()][-1]
    assert last["gate"] == "storyboard" and last["action"] == "approve" and last["notes"] == "good"
    assert client.post("/api/decide", content=json.dumps({"action": "reject"}),
                       headers={HEADER: TOKEN}).status_code == 400  # a rejection needs notes


def test_the_command_prints_a_token_url_that_serves_the_panels(root: Path) -> None:
    """``showrunner studio --project P --port N``: the printed URL works, a bare one is refused, and an
    approval posted with the token moves the run on (``status --json`` says so)."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "showrunner.cli.main", "studio", "--project", str(root),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        url = lines[1].split("open: ", 1)[1].strip()
        assert url.startswith(f"http://127.0.0.1:{port}/?token=") and len(url.split("token=")[1]) >= 32
        deadline = time.time() + 60
        while True:
            try:
                page = httpx.get(url, timeout=30)
                break
            except httpx.ConnectError:
                assert time.time() < deadline
                time.sleep(0.2)
        assert page.status_code == 200 and "/media/frame/1/e001-s01-01?v=" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 401
        token = url.split("token=")[1]
        res = httpx.post(f"http://127.0.0.1:{port}/api/decide", json={"action": "approve"},
                         headers={HEADER: token}, timeout=30)
        assert res.status_code == 200
        while httpx.get(f"http://127.0.0.1:{port}/api/progress", headers={HEADER: token},
                        timeout=30).json()["job"]["running"]:
            assert time.time() < deadline + 120
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    status = subprocess.run([sys.executable, "-m", "showrunner.cli.main", "status", "--json", "-p", str(root)],
                            capture_output=True, text=True, timeout=120)
    assert json.loads(status.stdout)["pending"]["gate"] == "final"


def test_resume_from_the_page_goes_on_like_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that stopped half-way (the LLM endpoint went down) goes on from the page's Resume button."""
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)

    def down(prompt: object, schema: object) -> object:
        if getattr(prompt, "id", "").startswith("writer/outline"):
            raise ConnectionError("the endpoint is down")
        return story_responder(prompt, schema)  # type: ignore[arg-type]

    root = tmp_path / "stopped"
    with pytest.raises(Exception):  # whatever the provider raised, the run stopped
        series.new_series(root, "A harbour crew hunts a ghost ship", 1, auto_approve=frozenset({"bible"}),
                          llm=ScriptedLLM(down))
    client = TestClient(create_app(root, TOKEN, hosts=frozenset({"testserver"})))
    assert "Resume the run" in authed(client).get("/").text
    assert client.post("/api/resume", content="", headers={HEADER: TOKEN}).json()["job"]
    deadline = time.time() + 120
    while (job := client.get("/api/progress").json()["job"])["running"]:
        assert time.time() < deadline
        time.sleep(0.2)
    assert job["error"] is None and job["label"] == "resume the run"
    assert job["result"] == {"status": "waiting", "gate": "script", "episode": 1}
