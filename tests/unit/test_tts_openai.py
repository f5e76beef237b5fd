"""The ``openai`` speech backend against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from render_sample import make_project

from showrunner.config import load_settings
from showrunner.errors import ServiceError
from showrunner.models import Voice
from showrunner.pipelines.ledger import meter_for, project_ledger
from showrunner.pipelines.render import render_episode
from showrunner.tools.tts import SpeechJob, get_tts


class FakeSpeech(BaseHTTPRequestHandler):
    """Answers /v1/audio/speech: the queued statuses first (429 with Retry-After), then a WAV tone."""

    queue: list[int] = []
    seen: list[dict[str, object]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, **body})
        status = type(self).queue.pop(0) if type(self).queue else 200
        if status != 200:
            payload = json.dumps({"error": {"message": f"status {status}"}}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        t = np.arange(int(24000 * 0.5)) / 24000
        buf = io.BytesIO()
        sf.write(buf, 0.3 * np.sin(2 * np.pi * 220 * t), 24000, format="WAV", subtype="PCM_16")
        data = buf.getvalue()
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeSpeech)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    FakeSpeech.queue, FakeSpeech.seen = [], []
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_speech_is_retried_like_the_llm_and_priced(server: str) -> None:
    settings = load_settings(tts="openai", tts_base_url=server, llm_max_attempts=3)
    tts = get_tts("openai", settings)
    FakeSpeech.queue = [429, 503]
    voice = Voice(backend="openai", speaker=3, rate=1.1)
    speech = tts.synthesize(SpeechJob("Hold the line.", voice))
    assert speech.retries == 2 and speech.sample_rate == 24000 and speech.seconds == pytest.approx(0.5, abs=0.01)
    assert float(np.max(np.abs(speech.samples))) == pytest.approx(0.3, abs=0.01)
    last = FakeSpeech.seen[-1]
    assert last["path"] == "/v1/audio/speech" and last["voice"] == "echo" and last["input"] == "Hold the line."
    assert (last["model"], last["response_format"], last["speed"]) == ("tts-1", "wav", 1.1)
    assert speech.cost_usd == pytest.approx(len("Hold the line.") * 15.0 / 1e6)
    assert tts.identity(voice)["voice"] == "echo" and tts.speakers("") == 9

    FakeSpeech.queue = [400]
    with pytest.raises(ServiceError, match=r"failed on the first attempt: HTTP 400"):
        tts.synthesize(SpeechJob("Hold the line.", voice))
    FakeSpeech.queue = [500, 500, 500]
    with pytest.raises(ServiceError, match=r"failed after 3 attempts: HTTP 500"):
        tts.synthesize(SpeechJob("Hold the line.", voice))


def test_a_render_through_the_openai_backend_casts_its_voices_and_meters_cost(server: str, tmp_path: Path) -> None:
    project = make_project(tmp_path / "series")
    settings = load_settings(project.root, tts="openai", tts_base_url=server)
    report = render_episode(project, settings, 1)
    assert (report.lines_synthesized, report.lines_reused) == (3, 0) and report.cut_rendered
    meter_for(project_ledger(project.root, settings.prices)).renders(report.items(), {"episode": 1})  # as the CLI
    assert {s["voice"] for s in FakeSpeech.seen} == {"ash", "echo"}  # Ada and Vell: two of the server's voices
    tts = [r for r in map(json.loads, project.ledger.read_text().splitlines()) if r.get("stage") == "tts"]
    assert [r["backend"] for r in tts] == ["openai"] * 3 and all(r["cost_usd"] > 0 for r in tts)
    again = render_episode(project, load_settings(project.root, tts="openai", tts_base_url=server), 1)
    assert (again.lines_synthesized, len(FakeSpeech.seen)) == (0, 3)
