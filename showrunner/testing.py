"""Honest test doubles shipped with the package: a scripted LLM that replays canned answers.

``ScriptedLLM`` implements the same :class:`~showrunner.llm.base.StructuredLLM` interface as the real
providers. It answers from a queue of canned instances (``enqueue``) or from a function of the request
(``responder``), validates every answer against the requested schema exactly as a provider would, and
records every request so tests can assert on the prompts the agents sent.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from showrunner.llm.base import Generation, LLMError, Prompt, T, Usage, estimate_tokens


@dataclass
class Request:
    """One recorded call."""

    prompt: Prompt
    schema: type[BaseModel]

    @property
    def text(self) -> str:
        return self.prompt.text


Responder = Callable[[Prompt, type[BaseModel]], BaseModel | dict[str, Any]]


class ScriptedLLM:
    """Replays canned answers; validates them against the requested schema; records requests."""

    provider = "scripted"

    def __init__(self, responder: Responder | None = None, *, model: str = "scripted",
                 latency_s: float = 0.0) -> None:
        self.model = model
        self.responder = responder
        self.latency_s = latency_s
        self.queue: deque[BaseModel | dict[str, Any] | Exception] = deque()
        self.requests: list[Request] = []

    def enqueue(self, *answers: BaseModel | dict[str, Any] | Exception) -> ScriptedLLM:
        """Queue answers (instances, dicts, or exceptions to raise), consumed in order."""
        self.queue.extend(answers)
        return self

    def calls(self, prompt_id: str | None = None) -> list[Request]:
        return [r for r in self.requests if prompt_id is None or r.prompt.id == prompt_id]

    def generate(self, prompt: Prompt, schema: type[T]) -> Generation[T]:
        self.requests.append(Request(prompt, schema))
        start = time.perf_counter()
        if self.latency_s:
            time.sleep(self.latency_s)
        if self.queue:
            answer = self.queue.popleft()
        elif self.responder is not None:
            answer = self.responder(prompt, schema)
        else:
            raise LLMError(f"scripted LLM has no answer queued for prompt {prompt.id!r}")
        if isinstance(answer, Exception):
            raise answer
        data = answer.model_dump() if isinstance(answer, BaseModel) else answer
        value = schema.model_validate(data)
        usage = Usage(
            provider=self.provider, model=self.model, prompt_id=prompt.id, prompt_version=prompt.version,
            prompt_tokens=estimate_tokens(prompt.text),
            completion_tokens=estimate_tokens(value.model_dump_json()),
            latency_s=time.perf_counter() - start,
        )
        return Generation(value=value, usage=usage)
