"""Honest test doubles shipped with the package: a scripted LLM that replays canned answers.

``ScriptedLLM`` implements the same :class:`~showrunner.llm.base.StructuredLLM` interface as the real
providers. It answers from a queue of canned instances, dicts or raw reply text (``enqueue``) or from a function of
the request (``responder``). Every answer is turned into reply text and goes through the same parse path
as a real provider's (:func:`~showrunner.llm.jsontools.ask_until_valid`: lenient JSON, strict schema, one
repair retry), and every request is recorded so tests can assert on the prompts the agents sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from showrunner.llm.base import Generation, LLMError, Message, Prompt, T, Usage, estimate_tokens
from showrunner.llm.jsontools import InvalidReply, ask_until_valid, error_summary
from showrunner.memory.base import ContextPack, Space
from showrunner.memory.embeddings import HashEmbedder as HashEmbedder  # deterministic test embedder
from showrunner.models import Fact, SceneRef


@dataclass
class Request:
    """One recorded call."""

    prompt: Prompt
    schema: type[BaseModel]

    @property
    def text(self) -> str:
        return self.prompt.text


Responder = Callable[[Prompt, type[BaseModel]], BaseModel | dict[str, Any] | str]


class ScriptedLLM:
    """Replays canned answers; validates them against the requested schema; records requests."""

    provider = "scripted"

    def __init__(self, responder: Responder | None = None, *, model: str = "scripted",
                 latency_s: float = 0.0) -> None:
        self.model = model
        self.responder = responder
        self.latency_s = latency_s
        self.queue: deque[BaseModel | dict[str, Any] | str | Exception] = deque()
        self.requests: list[Request] = []

    def enqueue(self, *answers: BaseModel | dict[str, Any] | str | Exception) -> ScriptedLLM:
        """Queue answers (instances, dicts, raw reply text, or exceptions to raise), consumed in order."""
        self.queue.extend(answers)
        return self

    def calls(self, prompt_id: str | None = None) -> list[Request]:
        return [r for r in self.requests if prompt_id is None or r.prompt.id == prompt_id]

    def generate(self, prompt: Prompt, schema: type[T]) -> Generation[T]:
        self.requests.append(Request(prompt, schema))
        start = time.perf_counter()
        usage = Usage(provider=self.provider, model=self.model, prompt_id=prompt.id, prompt_version=prompt.version)
        asked = [prompt]

        def ask(error: str | None) -> str:
            if error is not None:  # a repair retry, as the real providers make it
                asked.append(Prompt(prompt.id, prompt.version, asked[-1].messages + (
                    Message("assistant", replies[-1]),
                    Message("user", f"That reply is not valid: {error}. Answer again with the complete, "
                                    "corrected JSON object only."))))
            replies.append(self._answer(asked[-1], schema, usage))
            return replies[-1]

        replies: list[str] = []
        try:
            value = ask_until_valid(ask, schema, usage)
        except InvalidReply as exc:
            raise LLMError(f"scripted LLM gave no valid {schema.__name__} after a repair retry: "
                           f"{error_summary(exc.error, 200)}", usage=usage) from exc.error
        finally:
            usage.latency_s = time.perf_counter() - start
        return Generation(value=value, usage=usage)

    def _answer(self, prompt: Prompt, schema: type[BaseModel], usage: Usage) -> str:
        """The next canned answer as the text a server would send (instances and dicts as JSON)."""
        if self.latency_s:
            time.sleep(self.latency_s)
        usage.requests += 1
        if self.queue:
            answer = self.queue.popleft()
        elif self.responder is not None:
            answer = self.responder(prompt, schema)
        else:
            raise LLMError(f"scripted LLM has no answer queued for prompt {prompt.id!r}", usage=usage)
        if isinstance(answer, LLMError) and answer.usage is None:
            answer.usage = usage
        if isinstance(answer, Exception):
            raise answer
        text = answer.model_dump_json() if isinstance(answer, BaseModel) else (
            answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False))
        usage.prompt_tokens += estimate_tokens(prompt.text)
        usage.completion_tokens += estimate_tokens(text)
        return text


class ListMemory:
    """A :class:`~showrunner.memory.base.MemoryStore` over a plain list of facts (hash embedder by default).

    Retrieval returns the canon facts that hold at the episode, in order, cut to the token budget (no
    semantic ranking): enough for nodes that read memory, without chromadb.
    """

    def __init__(self, facts: list[Fact] | None = None, embedder: Any = None) -> None:
        self.embedder = embedder if embedder is not None else HashEmbedder()
        self.spaces: dict[Space, list[Fact]] = {"canon": list(facts or []), "draft": []}

    def add_facts(self, facts: list[Fact], *, space: Space = "canon") -> None:
        self.spaces[space].extend(facts)

    def world_state(self, episode: int, scene: int | None = None) -> list[Fact]:
        at = SceneRef(episode=episode, scene=scene)
        return [f for f in self.spaces["canon"] if f.holds_at(at)]

    def retrieve(self, *, episode: int, scene: int | None = None, characters: list[str] | None = None,
                 locations: list[str] | None = None, query: str = "", budget_tokens: int = 600,
                 include_drafts: bool = False) -> ContextPack:
        facts = self.world_state(episode, scene)
        if include_drafts:
            facts += self.spaces["draft"]
        kept: list[Fact] = []
        used = 0
        for f in facts:
            cost = estimate_tokens(f.sentence())
            if used + cost > budget_tokens:
                break
            kept.append(f)
            used += cost
        return ContextPack(facts=kept, text="\n".join(f.sentence() for f in kept), tokens=used,
                           truncated=len(kept) < len(facts))

    def clear(self, *, space: Space = "draft") -> None:
        self.spaces[space] = []


# --------------------------------------------------------------------------- deterministic story responder

_FENCE = re.compile(r"<<<\n(.*?)\n>>>", re.S)
_CAST = ("Mira Vale", "Oren Pike", "Juno Reyes", "Tamsin Holt")
_PLACES = ("Harbor Station", "The Glass Market", "Old Lighthouse")
CALL_LOG_ENV = "SHOWRUNNER_CALL_LOG"
DELAY_ENV = "SHOWRUNNER_SCRIPTED_DELAY"


def _after(text: str, label: str) -> str:
    """The first fenced block after ``label`` in ``text`` ('' when absent)."""
    at = text.find(label)
    if at < 0:
        return ""
    m = _FENCE.search(text, at)
    return m.group(1).strip() if m else ""


def _num(pattern: str, text: str, default: int) -> int:
    m = re.search(pattern, text)
    return int(m.group(1)) if m else default


def _list(pattern: str, text: str, fallback: tuple[str, ...]) -> list[str]:
    m = re.search(pattern, text)
    items = [x.strip() for x in m.group(1).split(",") if x.strip()] if m else []
    return items or list(fallback)


def _log_call(prompt: Prompt, schema: type[BaseModel]) -> None:
    path = os.environ.get(CALL_LOG_ENV)
    if path:
        digest = hashlib.sha1(prompt.text.encode()).hexdigest()[:16]
        line = json.dumps({"prompt_id": prompt.id, "schema": schema.__name__, "sha": digest,
                           "text": prompt.text}) + "\n"
        with open(path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
    delay = float(os.environ.get(DELAY_ENV) or 0)
    if delay:
        time.sleep(delay)


def story_responder(prompt: Prompt, schema: type[BaseModel]) -> dict[str, Any]:
    """A plausible, valid, deterministic answer for every schema the showrunner agents request.

    Answers vary with the episode number and the prompt; reviewer and critic notes found in a prompt are
    written into the redraft (so tests can check a rejection was addressed). The critic asks for one
    revision of each first draft. With ``SHOWRUNNER_CALL_LOG`` set every call is appended to that file;
    ``SHOWRUNNER_SCRIPTED_DELAY`` adds seconds per call (crash tests).
    """
    _log_call(prompt, schema)
    text = prompt.text
    name = schema.__name__
    handler = _HANDLERS.get(name)
    if handler is None:
        raise LLMError(f"story_responder has no answer for schema {name}")
    return handler(text)


def _bible(text: str) -> dict[str, Any]:
    premise = _after(text, "premise") or "a story"
    n = _num(r"It has (\d+) episodes", text, 3)
    notes = _after(text, "Reviewer notes")
    words = [w for w in re.findall(r"[A-Za-z]+", premise) if len(w) > 3][:3] or ["Untitled"]
    title = " ".join(w.capitalize() for w in words)
    looks = [("silver", "green", "wiry", "red flight jacket"), ("black", "brown", "broad", "grey coat"),
             ("copper", "blue", "small", "yellow raincoat"), ("white", "grey", "tall", "long blue robe")]
    chars = [{"name": nm, "role": "protagonist" if i == 0 else "ally", "personality": "stubborn, curious",
              "hair": f"short {h} hair", "eyes": f"{e} eyes", "build": b, "outfit": o}
             for i, (nm, (h, e, b, o)) in enumerate(zip(_CAST[:3], looks, strict=False))]
    return {"title": title, "logline": f"In a world shaped by {premise[:120]}, a crew must hold together."
            + (f" Revised: {notes}" if notes else ""),
            "genre": "adventure", "tone": "hopeful", "style_guide": "flat pastel animation, soft rim light",
            "world_rules": ["The tide gates close at midnight."] + ([f"Note: {notes}"] if notes else []),
            "season_arc": "From strangers to a crew that saves the harbor.", "characters": chars,
            "locations": [{"name": p, "look": f"{p.lower()} in muted teal and amber"} for p in _PLACES],
            "episode_loglines": [f"Episode {i + 1}: the crew faces trial number {i + 1}." for i in range(n)]}


def _outline(text: str) -> dict[str, Any]:
    n = _num(r"Outline episode (\d+)", text, 1)
    m = re.search(r'Outline episode \d+ of \d+: "([^"]*)"', text)
    source = [x.split(": ", 1)[-1][:160] for x in _after(text, "adapts these passages").splitlines() if x.strip()]
    return {"title": (m.group(1) if m else f"Episode {n}") or f"Episode {n}",
            "logline": f"The crew faces trial number {n}.",
            "beats": source[:5] or [f"Setup of trial {n}", f"A turn: trust breaks in episode {n}",
                                    "Climax at the water", f"Hook toward episode {n + 1}"]}


_LINES = ("Then we go together.", "Not without the others.", "I'll take the first watch.",
          "The gates will not hold another night.", "Show me where the water came in.",
          "We owe the harbor that much, and more.")


def _script(text: str) -> dict[str, Any]:
    """Scenes as asked: 'Write N scenes ... about M lines' gets N scenes of M lines, else 2 or 3 of 2."""
    n = _num(r"(?:\nEpisode|Current script of episode) (\d+)", text, 1)
    cast = _list(r"from: ([^)\n]*)\)", text, _CAST[:3])
    cast = cast if "characters from:" not in text else _list(r"characters from: ([^\n.]*)", text, _CAST[:3])
    places = _list(r"one of: ([^)\n]*)\)", text, _PLACES)
    places = places if "Locations from:" not in text else _list(r"Locations from: ([^;\n]*)", text, _PLACES)
    notes = _after(text, "Reviewer notes") or _after(text, "Notes to address")
    exact = re.search(r"(?:Write |Rewrite the scenes \()(\d+) scenes", text)
    count = int(exact.group(1)) if exact else 2 + n % 2
    lines = _num(r"(?:about|up to) (\d+) lines of dialogue", text, 2) if exact else 2
    scenes = []
    for k in range(count):
        a, b = cast[(n + k) % len(cast)], cast[(n + k + 1) % len(cast)]
        place = places[(n + k) % len(places)]
        summary = f"{a} and {b} meet at {place} in episode {n}, scene {k + 1}."
        if k == 0 and notes:
            summary += f" Addresses notes: {notes.replace(chr(10), ' ')}"
        said = [{"speaker": a, "text": f"We hold the line at {place}, trial {n}."},
                {"speaker": b, "text": _LINES[k % 3]}]
        said += [{"speaker": (a, b)[i % 2], "text": _LINES[(k + i) % len(_LINES)]} for i in range(2, lines)]
        scenes.append({"location": place, "characters": [a, b], "time_of_day": ("day", "night", "dawn")[(n + k) % 3],
                       "summary": summary, "dialogue": said[:lines]})
    return {"scenes": scenes}


def _critique(text: str) -> dict[str, Any]:
    n = _num(r"Episode (\d+) script", text, 1)
    first = "(revision 0)" in text
    return {"scores": {"coherence": 7, "character_consistency": 8, "pacing": 6 if first else 7,
                       "hook": 5 if first else 8, "canon_adherence": 8},
            "notes": [f"Sharpen the hook at the end of episode {n}."] if first else [],
            "verdict": "revise" if first else "approve"}


_FRAMES = (("wide", "static", "Establishing shot of scene {s}."),
           ("close_up", "dolly_in", "Reaction close-up in scene {s}."),
           ("medium", "pan_left", "The two face each other across the room in scene {s}."),
           ("over_shoulder", "static", "Over the shoulder as the argument turns in scene {s}."),
           ("extreme_close_up", "static", "A hand closes on the railing in scene {s}."),
           ("medium", "tracking", "They walk and talk along the quay in scene {s}."))


def _shots(text: str) -> dict[str, Any]:
    """Shots as asked: 'Plan N shots of about D s each' gets N shots of D s, else the two canned ones."""
    on_screen = _list(r"On screen: ([^\n]*)\.", text, ())
    notes = _after(text, "Reviewer notes")
    scene = _num(r"scene (\d+)", text, 1)
    asked = re.search(r"Plan (\d+) shots of about ([\d.]+) s", text)
    count, each = (int(asked.group(1)), float(asked.group(2))) if asked else (2, 0.0)
    shots = []
    for k in range(count):
        framing, move, action = _FRAMES[k % len(_FRAMES)] if asked else _FRAMES[k]
        who = on_screen if framing in ("wide", "medium") else on_screen[(k // 2) % max(1, len(on_screen)):][:1]
        shots.append({"framing": framing, "camera_move": move, "characters": who,
                      "action": action.format(s=scene) + (f" Addresses notes: {notes}" if notes and k == 0 else ""),
                      "duration": each or (3.0, 2.5)[k]})
    return {"shots": shots}


def _facts(text: str) -> dict[str, Any]:
    n = _num(r"Episode (\d+) script", text, 1)
    cast = _list(r"for the characters \(([^)]*)\)", text, _CAST[:3])
    changes = [{"character": cast[n % len(cast)], "kind": "appearance", "value": f"patched coat from episode {n}",
                "scene": 1}]
    if n % 3 == 0:
        changes.append({"character": cast[(n + 1) % len(cast)], "kind": "possession", "value": f"brass key {n}",
                        "scene": 2})
    return {"changes": changes}


_HANDLERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "BibleDraft": _bible, "Outline": _outline, "ScriptDraft": _script, "Critique": _critique,
    "ShotList": _shots, "FactChanges": _facts,
}


def _book_handlers() -> dict[str, Callable[[str], dict[str, Any]]]:
    from showrunner.testing_adapt import HANDLERS

    return HANDLERS


_HANDLERS.update(_book_handlers())
