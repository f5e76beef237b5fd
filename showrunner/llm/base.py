"""The narrow interface every agent calls: a prompt and a pydantic schema in, a validated instance out.

Providers (``openai``, ``local``, ``scripted``) implement :class:`StructuredLLM`. Each call returns a
:class:`Generation` holding the instance and a :class:`Usage` record (provider, model, prompt id and
version, requests, tokens, latency, retries, JSON repairs), so accounting travels with the result through
the graph state. A call that fails raises :class:`LLMError` carrying the usage it really spent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from showrunner.errors import ServiceError

T = TypeVar("T", bound=BaseModel)
Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt: its id and version (recorded with every call) and its messages."""

    id: str
    version: int
    messages: tuple[Message, ...]

    @classmethod
    def plain(cls, text: str, *, system: str | None = None, id: str = "adhoc", version: int = 0) -> Prompt:
        msgs = ((Message("system", system),) if system else ()) + (Message("user", text),)
        return cls(id=id, version=version, messages=msgs)

    @property
    def text(self) -> str:
        return "\n\n".join(m.content for m in self.messages)


@dataclass
class Usage:
    """What one call cost: recorded with every generation and written to the project's ledger.

    ``requests`` counts what was sent to the model (HTTP requests, decodes), ``retries`` the repeats among
    them (transient faults, repair retries), ``repairs`` the fixes the lenient JSON parse made to the reply
    that was accepted.
    """

    provider: str
    model: str
    prompt_id: str
    prompt_version: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    retries: int = 0
    repairs: int = 0
    requests: int = 0
    cost_usd: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Generation(Generic[T]):
    """A validated instance and the usage record of the call that produced it."""

    value: T
    usage: Usage


@runtime_checkable
class StructuredLLM(Protocol):
    """What agents depend on. Implementations must return a schema-valid instance or raise."""

    provider: str
    model: str

    def generate(self, prompt: Prompt, schema: type[T]) -> Generation[T]:
        """Return an instance of ``schema`` answering ``prompt``; raise :class:`LLMError` on failure."""
        ...


class LLMError(ServiceError):
    """The model could not produce a valid answer after the allowed retries.

    ``usage`` holds what the failed call spent (requests, tokens, retries), so the ledger books it.
    """

    def __init__(self, message: str, *, usage: Usage | None = None, code: int | None = None) -> None:
        super().__init__(message, code=code)
        self.usage = usage


@dataclass
class UsageLog:
    """An in-memory list of usages with sums (the ledger on disk is written by pipelines)."""

    items: list[Usage] = field(default_factory=list)

    def add(self, u: Usage) -> None:
        self.items.append(u)

    @property
    def prompt_tokens(self) -> int:
        return sum(u.prompt_tokens for u in self.items)

    @property
    def completion_tokens(self) -> int:
        return sum(u.completion_tokens for u in self.items)


def schema_instructions(schema: type[BaseModel]) -> str:
    """Plain-text instruction carrying the JSON Schema, for servers without structured output."""
    return (
        "Answer with one JSON object only, no prose and no code fences. "
        f"It must validate against this JSON Schema:\n{json.dumps(schema.model_json_schema())}"
    )


def estimate_tokens(text: str) -> int:
    """Rough token count (4 characters a token) for servers that report no usage."""
    return max(1, (len(text) + 3) // 4)
