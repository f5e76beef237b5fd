"""The ``openai`` speech backend: ``POST /v1/audio/speech`` on any OpenAI-compatible server.

The server is ``tts_base_url`` (else ``openai_base_url``, else OpenAI). A voice's ``model`` is the TTS
model ('' = ``tts_model`` from settings, else ``tts-1``); its ``speaker`` indexes the server's voice
names (:data:`VOICES`), so a cast uses different voices before it varies pitch and rate. Audio comes
back as WAV and is decoded with soundfile. Transient faults (429, 5xx, timeouts, dropped connections)
are retried exactly like the LLM provider (:mod:`showrunner.llm.openai_provider`): tenacity with
exponential backoff and jitter, ``Retry-After`` honoured, ``llm_max_attempts`` tries; the retries and the
cost (characters x ``tts_prices``) go into the ledger record of the line.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
import openai
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from showrunner.errors import ServiceError
from showrunner.llm.openai_provider import describe, is_transient, polite_wait
from showrunner.models import Voice
from showrunner.tools.tts import Speech, SpeechJob

if TYPE_CHECKING:
    from showrunner.config import Settings

VOICES = ["alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer"]
DEFAULT_MODEL = "tts-1"


class OpenAISpeechBackend:
    """Speech from an OpenAI-compatible ``/audio/speech`` endpoint."""

    name = "openai"

    def __init__(self, settings: Settings, *, backoff_s: float = 0.5, backoff_max_s: float = 8.0) -> None:
        self.settings = settings
        self.backoff_s, self.backoff_max_s = backoff_s, backoff_max_s
        base = settings.tts_base_url or settings.openai_base_url
        key = settings.openai_api_key or ("sk-local" if base else None)
        if key is None:
            raise ServiceError("the openai speech backend needs OPENAI_API_KEY or a server URL "
                               "(SHOWRUNNER_TTS_BASE_URL / OPENAI_BASE_URL); or use SHOWRUNNER_TTS=piper")
        self.client = openai.OpenAI(api_key=key, base_url=base, timeout=settings.llm_timeout_s, max_retries=0)
        self.endpoint = str(self.client.base_url).rstrip("/")

    def _model(self, voice: Voice) -> str:
        return voice.model or (self.settings.tts_model if self.settings.tts == "openai" else "") or DEFAULT_MODEL

    def identity(self, voice: Voice) -> dict[str, Any]:
        return {"backend": self.name, "endpoint": self.endpoint, "model": self._model(voice),
                "voice": VOICES[(voice.speaker or 0) % len(VOICES)], "rate": voice.rate, "pitch": voice.pitch,
                "timbre": voice.timbre}

    def speakers(self, model: str) -> int:
        return len(VOICES)

    def synthesize(self, job: SpeechJob) -> Speech:
        import soundfile as sf

        ident = self.identity(job.voice)
        retries = 0

        wait = polite_wait(self.backoff_s, self.backoff_max_s)

        def count(state: RetryCallState) -> None:
            nonlocal retries
            retries += 1

        def call() -> bytes:
            raw = self.client.audio.speech.with_raw_response.create(
                model=ident["model"], voice=ident["voice"], input=job.text, response_format="wav",
                speed=job.voice.rate)
            return bytes(raw.http_response.content)

        attempts = max(1, self.settings.llm_max_attempts)
        try:
            body = Retrying(stop=stop_after_attempt(attempts), wait=wait, retry=retry_if_exception(is_transient),
                            before_sleep=count, reraise=True)(call)
        except openai.OpenAIError as exc:
            tries = f"after {attempts} attempts" if is_transient(exc) and attempts > 1 else "on the first attempt"
            raise ServiceError(f"speech endpoint {self.endpoint} failed {tries}: {describe(exc)}") from exc
        try:
            data, rate = sf.read(io.BytesIO(body), dtype="float32", always_2d=True)
        except (RuntimeError, sf.LibsndfileError) as exc:
            raise ServiceError(f"speech endpoint {self.endpoint} did not return WAV audio ({len(body)} bytes)") from exc
        price = self.settings.tts_prices.get(ident["model"], 0.0)
        return Speech(data.mean(axis=1).astype(np.float32), int(rate), params={"model": ident["model"],
                      "voice": ident["voice"], "speed": job.voice.rate}, cost_usd=len(job.text) * price / 1e6,
                      retries=retries)
