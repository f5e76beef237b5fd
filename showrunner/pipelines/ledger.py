"""Cost accounting: one JSON line per LLM call or rendered keyframe/clip in ``<project>/logs/ledger.jsonl``.

:class:`LedgerMeter` is the one metering path: the graph's ``Context`` and the ``render`` command write
through it, in every mode, and :class:`Totals` is the one set of sums that status, report and estimate show.

:class:`Ledger` appends records and sums them; :class:`MeteredLLM` wraps any
:class:`~showrunner.llm.base.StructuredLLM` and writes every call to the ledger with its cost from the
price table; a failed call gets an ``error`` field and the requests, tokens and retries it really spent.
Local models cost nothing.

Tags say what a call was for (``episode``, ``node``, ``night``, ``draft`` ...). They come from three
layers, later ones winning: ``metered.tags`` (a plain dict the caller may replace), ``tags_fn()`` (read
at call time), and ``with metered.tagged(node="write_script"):`` (a context variable, so parallel graph
branches running in threads each see their own tags).

A record::

    {"kind": "llm", "ts": 1718000000.0, "provider": "openai", "model": "gpt-4o-mini",
     "prompt_id": "writer/script", "prompt_version": 1, "prompt_tokens": 812, "completion_tokens": 540,
     "latency_s": 2.1, "retries": 0, "repairs": 0, "requests": 1, "cost_usd": 0.000446, "episode": 2,
     "node": "write_script", "night": "2025-06-10T02-00-00", "draft": true}
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from showrunner.config import Price
from showrunner.io import append_jsonl, read_jsonl
from showrunner.llm.base import Generation, Prompt, StructuredLLM, T, Usage

FREE_PROVIDERS = frozenset({"local"})
_CALL_TAGS: ContextVar[dict[str, Any] | None] = ContextVar("showrunner_ledger_tags", default=None)


@dataclass
class Totals:
    """Sums over a set of ledger records: the one set of totals that status, report and estimate show.

    ``calls`` are LLM calls that returned a valid answer and ``failed`` those that did not; ``requests``,
    ``retries``, tokens, time and cost count both, because a failed call spent them too.
    """

    calls: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    repairs: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    llm_seconds: float = 0.0
    renders: int = 0  # keyframes, clips and reference sheets
    render_seconds: float = 0.0
    gpu_seconds: float = 0.0
    lines: int = 0  # spoken lines synthesised (``stage: tts``), counted apart from frames
    audio_seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, rec: Mapping[str, Any]) -> None:
        self.cost_usd += float(rec.get("cost_usd") or 0.0)
        if rec.get("kind") == "render" and rec.get("stage") == "tts":
            self.lines += 1
            self.audio_seconds += float(rec.get("audio_seconds") or 0.0)
            self.render_seconds += float(rec.get("seconds") or 0.0)
            return
        if rec.get("kind") == "render":
            self.renders += 1
            self.render_seconds += float(rec.get("seconds") or 0.0)
            self.gpu_seconds += float(rec.get("gpu_seconds") or 0.0)
            return
        if rec.get("error"):
            self.failed += 1
        else:
            self.calls += 1
        self.requests += int(rec.get("requests") or 0)
        self.retries += int(rec.get("retries") or 0)
        self.repairs += int(rec.get("repairs") or 0)
        self.prompt_tokens += int(rec.get("prompt_tokens") or 0)
        self.completion_tokens += int(rec.get("completion_tokens") or 0)
        self.llm_seconds += float(rec.get("latency_s") or 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tokens": self.tokens, "cost_usd": round(self.cost_usd, 6)}


def price_cost(prices: Mapping[str, Price], provider: str, model: str, prompt_tokens: int,
               completion_tokens: int) -> float:
    """USD for one call: zero for local models and for models missing from the price table."""
    if provider in FREE_PROVIDERS:
        return 0.0
    price = prices.get(model)
    if price is None:
        return 0.0
    return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


class Ledger:
    """Append-only JSON-lines log of LLM calls and renders, with sums by any tag."""

    def __init__(self, path: Path, prices: Mapping[str, Price] | None = None) -> None:
        self.path = path
        self.prices: Mapping[str, Price] = prices or {}

    def cost(self, usage: Usage) -> float:
        return price_cost(self.prices, usage.provider, usage.model, usage.prompt_tokens, usage.completion_tokens)

    def record_llm(self, usage: Usage, *, error: str | None = None, **tags: Any) -> dict[str, Any]:
        """Append one LLM call; fills ``usage.cost_usd`` from the price table; returns the record."""
        usage.cost_usd = self.cost(usage)
        rec: dict[str, Any] = {"kind": "llm", "ts": time.time(), **usage.as_dict()}
        rec["cost_usd"] = round(usage.cost_usd, 8)
        if error is not None:
            rec["error"] = error
        rec.update({k: v for k, v in tags.items() if v is not None})
        append_jsonl(self.path, rec)
        return rec

    def record_render(self, seconds: float, gpu_seconds: float, backend: str, *, cost_usd: float = 0.0,
                      error: str | None = None, **tags: Any) -> dict[str, Any]:
        """Append one render (a keyframe, a clip or a cut): wall and GPU seconds, backend."""
        rec: dict[str, Any] = {"kind": "render", "ts": time.time(), "backend": backend,
                               "seconds": round(float(seconds), 4), "gpu_seconds": round(float(gpu_seconds), 4),
                               "cost_usd": cost_usd}
        if error is not None:
            rec["error"] = error
        rec.update({k: v for k, v in tags.items() if v is not None})
        append_jsonl(self.path, rec)
        return rec

    def entries(self, **match: Any) -> list[dict[str, Any]]:
        """Records whose tags equal every ``match`` item (``kind="llm"``, ``night=...``, ``episode=2``)."""
        return [r for r in read_jsonl(self.path) if all(r.get(k) == v for k, v in match.items())]

    def totals(self, by: str | None = None, **match: Any) -> dict[Any, Totals]:
        """Sums over matching records, grouped by the tag ``by`` (one group ``None`` when ``by`` is None)."""
        out: dict[Any, Totals] = {}
        for rec in self.entries(**match):
            key = rec.get(by) if by else None
            out.setdefault(key, Totals()).add(rec)
        return out

    def total(self, **match: Any) -> Totals:
        """One :class:`Totals` over every matching record."""
        return self.totals(None, **match).get(None, Totals())


class MeteredLLM:
    """A :class:`StructuredLLM` that writes every call of the wrapped one to a :class:`Ledger`."""

    def __init__(self, inner: StructuredLLM, ledger: Ledger, *, tags: dict[str, Any] | None = None,
                 tags_fn: Callable[[], Mapping[str, Any]] | None = None,
                 on_record: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.inner = inner
        self.provider: str = inner.provider
        self.model: str = inner.model
        self.ledger = ledger
        self.tags: dict[str, Any] = dict(tags or {})
        self.tags_fn = tags_fn
        self.on_record = on_record

    @contextmanager
    def tagged(self, **tags: Any) -> Iterator[None]:
        """Add ``tags`` to every call made inside the block (this thread/task only)."""
        token = _CALL_TAGS.set({**(_CALL_TAGS.get() or {}), **tags})
        try:
            yield
        finally:
            _CALL_TAGS.reset(token)

    def current_tags(self) -> dict[str, Any]:
        return {**self.tags, **(self.tags_fn() if self.tags_fn else {}), **(_CALL_TAGS.get() or {})}

    def generate(self, prompt: Prompt, schema: type[T]) -> Generation[T]:
        start = time.perf_counter()
        try:
            gen = self.inner.generate(prompt, schema)
        except Exception as exc:
            # A provider's LLMError carries what the failed call really spent: requests, tokens, retries.
            spent = getattr(exc, "usage", None)
            usage = spent if isinstance(spent, Usage) else Usage(
                provider=self.provider, model=self.model, prompt_id=prompt.id, prompt_version=prompt.version)
            usage.latency_s = round(usage.latency_s or time.perf_counter() - start, 4)
            rec = self.ledger.record_llm(usage, error=f"{type(exc).__name__}: {exc}"[:500],
                                         **self.current_tags())
            self._notify(rec)
            raise
        rec = self.ledger.record_llm(gen.usage, **self.current_tags())
        self._notify(rec)
        return gen

    def _notify(self, rec: dict[str, Any]) -> None:
        if self.on_record is not None:
            self.on_record(rec)


class LedgerMeter:
    """The one metering path (``Context.meter``): every LLM call and every rendered keyframe or clip.

    ``llm(inner, tags)`` wraps an LLM so each call is written with ``tags``; ``renders(items, tags)``
    writes one render record per item a render reported (``stage`` keyframe or clip, ``shot``,
    ``backend``, ``seconds``, ``gpu_seconds``). Frames found in the cache are not items: they cost nothing.
    ``on_record`` sees every record written (nightly budgets sum them as they come).
    """

    def __init__(self, ledger: Ledger, *, on_record: Callable[[dict[str, Any]], None] | None = None,
                 **base_tags: Any) -> None:
        self.ledger = ledger
        self.on_record = on_record
        self.base_tags = base_tags

    def llm(self, inner: StructuredLLM, tags: Mapping[str, Any]) -> StructuredLLM:
        return MeteredLLM(inner, self.ledger, tags={**self.base_tags, **tags}, on_record=self.on_record)

    def renders(self, items: list[dict[str, Any]], tags: Mapping[str, Any]) -> list[dict[str, Any]]:
        written = []
        for item in items:
            extra = {k: v for k, v in item.items() if k not in ("seconds", "gpu_seconds", "backend")}
            rec = self.ledger.record_render(float(item.get("seconds") or 0.0), float(item.get("gpu_seconds") or 0.0),
                                            str(item.get("backend") or "render"),
                                            **{**self.base_tags, **tags, **extra})
            if self.on_record is not None:
                self.on_record(rec)
            written.append(rec)
        return written


def meter_for(ledger: Ledger, *, on_record: Callable[[dict[str, Any]], None] | None = None,
              **base_tags: Any) -> LedgerMeter:
    """A graph ``Context.meter`` writing into ``ledger`` with ``base_tags`` on every record."""
    return LedgerMeter(ledger, on_record=on_record, **base_tags)


def project_ledger(root: Path, prices: Mapping[str, Price] | None = None) -> Ledger:
    """The ledger of the project at ``root`` (``<root>/logs/ledger.jsonl``)."""
    return Ledger(root / "logs" / "ledger.jsonl", prices)
