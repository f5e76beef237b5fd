"""The ``openai`` provider: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp, LM Studio).

Structured output goes through the client's native ``chat.completions.parse`` (``json_schema``). A
server that rejects ``json_schema`` (llama-cpp-python answers 500, others 400/404/422 naming
``response_format``) gets ``json_object`` with the schema in the system prompt instead, and that
capability is remembered per base URL and model, in the project (:mod:`showrunner.llm.capabilities`).
Replies go through the shared parse path (:func:`~showrunner.llm.jsontools.ask_until_valid`: lenient
JSON, strict pydantic, one repair retry).
Transient faults (429, 5xx, timeouts, dropped connections) are retried here with tenacity (the client's
own retries are off so the counts are ours): exponential backoff with jitter, ``Retry-After`` honoured,
``llm_max_attempts`` tries.
"""

from __future__ import annotations

import email.utils
import time
from pathlib import Path
from typing import Any

import openai
from pydantic import BaseModel
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from showrunner.config import Settings
from showrunner.llm.base import Generation, LLMError, Prompt, T, Usage, estimate_tokens, schema_instructions
from showrunner.llm.capabilities import Capabilities
from showrunner.llm.jsontools import InvalidReply, ask_until_valid, error_summary

_SCHEMA_WORDS = ("response_format", "json_schema", "schema")
RETRY_AFTER_CAP_S = 60.0


def _status(exc: BaseException) -> int | None:
    return exc.status_code if isinstance(exc, openai.APIStatusError) else None


def rejects_json_schema(exc: BaseException) -> bool:
    """True when an HTTP error says the server does not support ``response_format: json_schema``."""
    if _status(exc) not in (400, 404, 422, 500):
        return False
    text = str(getattr(exc, "body", "") or "") + " " + str(exc)
    return any(word in text.lower() for word in _SCHEMA_WORDS)


def is_transient(exc: BaseException) -> bool:
    """429, 408, 409, 5xx, timeouts and dropped connections are worth another try."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    status = _status(exc)
    return status is not None and (status in (408, 409, 429) or status >= 500)


def polite_wait(backoff_s: float, backoff_max_s: float) -> Any:
    """A tenacity wait that honours a server's Retry-After, else backs off exponentially with jitter."""
    backoff = wait_random_exponential(multiplier=backoff_s, max=backoff_max_s)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_s(exc)
        return asked if asked is not None else backoff(state)

    return wait


def retry_after_s(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (``Retry-After`` as seconds or an HTTP date), if any."""
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), RETRY_AFTER_CAP_S)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return min(max(when.timestamp() - time.time(), 0.0), RETRY_AFTER_CAP_S) if when else None


def describe(exc: BaseException) -> str:
    """The cause of a failed request in a few words."""
    if isinstance(exc, openai.APITimeoutError):
        return "request timed out"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"connection failed ({type(cause).__name__})"
    status = _status(exc)
    if status is not None:
        message = getattr(exc, "message", "") or str(exc)
        return f"HTTP {status}: {' '.join(str(message).split())[:160]}"
    return f"{type(exc).__name__}: {str(exc)[:160]}"


class OpenAIProvider:
    """A :class:`~showrunner.llm.base.StructuredLLM` over an OpenAI-compatible chat completions endpoint."""

    provider = "openai"

    def __init__(self, settings: Settings, *, backoff_s: float = 0.5, backoff_max_s: float = 8.0,
                 max_tokens: int | None = None, project: Path | None = None) -> None:
        self.settings = settings
        self.model = settings.model
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.max_tokens = max_tokens
        api_key = settings.openai_api_key or ("sk-local" if settings.openai_base_url else None)
        if api_key is None:
            raise LLMError("the openai provider needs OPENAI_API_KEY or OPENAI_BASE_URL; set one, or use "
                           "SHOWRUNNER_LLM=local")
        self.client = openai.OpenAI(api_key=api_key, base_url=settings.openai_base_url,
                                    timeout=settings.llm_timeout_s, max_retries=0)
        self.endpoint = str(self.client.base_url).rstrip("/")
        self.capabilities = Capabilities(self.endpoint, self.model, settings, project)

    # -- public -------------------------------------------------------------------------------------
    def generate(self, prompt: Prompt, schema: type[T]) -> Generation[T]:
        start = time.perf_counter()
        usage = Usage(provider=self.provider, model=self.model, prompt_id=prompt.id,
                      prompt_version=prompt.version)
        messages = [m.as_dict() for m in prompt.messages]
        replies: list[str] = []

        def ask(error: str | None) -> str:
            nonlocal messages
            if error is not None:  # a repair retry: show the model its answer and what was wrong with it
                messages = messages + [
                    {"role": "assistant", "content": replies[-1][-4000:]},
                    {"role": "user", "content": f"That reply is not valid: {error}. Answer again "
                                                "with the complete, corrected JSON object only."},
                ]
            replies.append(self._ask(messages, schema, usage))
            return replies[-1]

        try:
            value = ask_until_valid(ask, schema, usage)
        except InvalidReply as exc:
            raise LLMError(f"LLM endpoint {self.endpoint} (model {self.model}) gave no valid "
                           f"{schema.__name__} after a repair retry: {error_summary(exc.error, 200)}",
                           usage=usage) from exc.error
        finally:
            usage.latency_s = time.perf_counter() - start
            price = self.settings.price_for(self.model)
            usage.cost_usd = (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1e6
        return Generation(value=value, usage=usage)

    # -- one structured request, with capability fallback and transient retries ----------------------
    def _ask(self, messages: list[dict[str, str]], schema: type[BaseModel], usage: Usage) -> str:
        if self.capabilities.get("json_schema") is not False:
            try:
                body = self._with_retries(lambda: self._post_parse(messages, schema), usage)
            except openai.OpenAIError as exc:
                if not rejects_json_schema(exc):
                    raise self._failure(exc, usage) from exc
                self.capabilities.learn("json_schema", False)
            else:
                self.capabilities.learn("json_schema", True)
                return self._read(body, messages, usage)
        fallback = [{"role": "system", "content": schema_instructions(schema)}] + messages
        try:
            body = self._with_retries(lambda: self._post_json_object(fallback, schema), usage)
        except openai.OpenAIError as exc:
            raise self._failure(exc, usage) from exc
        return self._read(body, fallback, usage)

    def _post_parse(self, messages: list[dict[str, str]], schema: type[BaseModel]) -> dict[str, Any]:
        raw = self.client.chat.completions.with_raw_response.parse(
            model=self.model, messages=messages, response_format=schema,  # type: ignore[arg-type]
            temperature=0, **self._limits())
        return dict(raw.http_response.json())

    def _post_json_object(self, messages: list[dict[str, str]], schema: type[BaseModel]) -> dict[str, Any]:
        # "schema" is llama-cpp-python's extension (grammar-constrained); other servers ignore it.
        fmt: dict[str, Any] = {"type": "json_object", "schema": schema.model_json_schema()}
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "response_format": fmt,
                                  "temperature": 0, **self._limits()}
        raw = self.client.chat.completions.with_raw_response.create(**kwargs)
        return dict(raw.http_response.json())

    def _limits(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens} if self.max_tokens else {}

    def _with_retries(self, call: Any, usage: Usage) -> dict[str, Any]:
        wait = polite_wait(self.backoff_s, self.backoff_max_s)

        def count(state: RetryCallState) -> None:
            usage.retries += 1

        def transient(exc: BaseException) -> bool:
            return is_transient(exc) and not rejects_json_schema(exc)

        def attempt() -> dict[str, Any]:
            usage.requests += 1
            answer: dict[str, Any] = call()
            return answer

        retrying = Retrying(stop=stop_after_attempt(max(1, self.settings.llm_max_attempts)), wait=wait,
                            retry=retry_if_exception(transient), before_sleep=count, reraise=True)
        result: dict[str, Any] = retrying(attempt)
        return result

    def _read(self, body: dict[str, Any], messages: list[dict[str, str]], usage: Usage) -> str:
        try:
            content = body["choices"][0]["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMError(f"LLM endpoint {self.endpoint} returned no chat completion choices; "
                           "check that it serves /chat/completions", usage=usage) from exc
        reported = body.get("usage") or {}
        usage.prompt_tokens += int(reported.get("prompt_tokens") or
                                   estimate_tokens("".join(m["content"] for m in messages)))
        usage.completion_tokens += int(reported.get("completion_tokens") or estimate_tokens(content))
        return str(content)

    def _failure(self, exc: BaseException, usage: Usage) -> LLMError:
        attempts = self.settings.llm_max_attempts if is_transient(exc) else 1
        hint = {401: "; check OPENAI_API_KEY", 403: "; check OPENAI_API_KEY",
                404: f"; check OPENAI_BASE_URL and that model {self.model!r} exists"}.get(_status(exc) or 0, "")
        tries = f"after {attempts} attempts" if attempts > 1 else "on the first attempt"
        return LLMError(f"LLM endpoint {self.endpoint} failed {tries}: {describe(exc)}{hint}", usage=usage)
