"""Deterministic critic checks: what a script or a bible must never pass with, whatever an LLM scores.

Pure functions, no I/O: the embedder is passed in (anything with ``embed(texts) -> array`` of unit rows,
e.g. :class:`~showrunner.memory.embeddings.HashEmbedder`). Each check returns :class:`CheckFinding` s;
a *blocking* finding makes the critic's verdict "revise" on its own, every finding lowers the scores it
names (:func:`adjust`).

Script checks (:func:`check_script`): placeholder text ("Episode 2" as a logline, "The story continues",
"[story description]", "TBD"), duplicated text (two scenes with one summary, most dialogue lines repeated,
the logline of another episode), no dialogue at all, a cast outside canon, one role for the whole cast,
and premise adherence: embedding similarity of the content words of the episode's logline, beats and
scenes to those of the premise, the series logline, the season arc and the planned logline (the cast's
names left out: every episode shares them). Bible checks (:func:`check_bible`, for the bible gate):
placeholder or repeated loglines, "Episode N" titles, one role for everyone, loglines off the premise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from showrunner.models import Bible, Critique, CritiqueScores, Episode
from showrunner.world import Names, World
from showrunner.world.admit import new_names

# cosine of content words below which an episode is off its premise, per embedder (calibrated on the unit
# tests' texts, not on the eval): MiniLM puts related story texts at 0.35-0.6 and unrelated ones under 0.2;
# the hashing test embedder only sees shared words, so it flags an episode sharing (almost) none.
PREMISE_FLOORS = {"showrunner-minilm": 0.25, "showrunner-hash": 0.03}
DEFAULT_FLOOR = 0.25
REPEAT_SHARE = 0.25  # dialogue that is more than this share of repeats is duplicated text
_PLACEHOLDER = re.compile(
    r"the story continues|lorem ipsum|\bto be (?:written|decided|determined)\b|\binsert [\w ]{1,30} here\b"
    r"|\{\{[^}]*\}\}"
    r"|\[[^\]]*\b(?:description|name|insert|placeholder|title|logline|summary|character|location|text|scene"
    r"|episode|dialogue|action|here)\b[^\]]*\]", re.I)
_SHOUTED = re.compile(r"\b(?:TBD|TODO|TBA)\b")  # as words in prose ("todo", "placeholder") they are fine
_BARE_LABEL = re.compile(r"^\s*(?:episode|ep|part|chapter|scene|act|untitled|title|logline|summary|beat)\s*#?\s*"
                         r"\d*\s*[:.]?\s*$", re.I)
_WORDS = re.compile(r"[a-z0-9']+")
_STOP = frozenset("""a an the and or but of to in on at by for with from as is are was were be been being it its this
that these those his her hers their theirs he she they them we you i me my our your into out up down over under
than then so not no do does did has have had will would can could shall should may might must who whom what
which when where why how there here all any some each every just also very too""".split())


class Embeds(Protocol):
    """What the checks need from an embedder: unit-length rows, one per text."""

    def embed(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class CheckFinding:
    """One deterministic finding: a machine code, a note for the writer, and what it lowers."""

    code: str
    message: str
    blocking: bool
    scores: tuple[str, ...]


def _norm(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def placeholder(text: str) -> bool:
    """True for template or filler text: a bare label ("Episode 2"), "The story continues", "[name]", TBD."""
    return bool(text.strip()) and bool(_BARE_LABEL.match(text) or _PLACEHOLDER.search(text)
                                       or _SHOUTED.search(text))


def content(text: str, drop: frozenset[str] = frozenset()) -> str:
    """The text's content words (lowercase, function words and ``drop`` removed): what topic similarity compares."""
    return " ".join(w for w in _WORDS.findall(text.lower()) if w not in _STOP and w not in drop)


def cast_words(bible: Bible) -> frozenset[str]:
    """The words of the cast's names and aliases: shared by every episode, so they say nothing about its topic."""
    return frozenset(w for c in bible.characters for form in (c.name, *c.aliases) for w in _WORDS.findall(form.lower()))


def floor_for(embedder: Embeds) -> float:
    """The premise-similarity floor for this embedder (by its registered name)."""
    name = getattr(embedder, "name", None)
    return PREMISE_FLOORS.get(name() if callable(name) else "", DEFAULT_FLOOR)


def similarity(embedder: Embeds, a: str, b: str, drop: frozenset[str] = frozenset()) -> float:
    """Cosine similarity of the content words of two texts (0.0 when either has none)."""
    a, b = content(a, drop), content(b, drop)
    if not a or not b:
        return 0.0
    va, vb = embedder.embed([a, b])
    den = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb) / den if den else 0.0


def premise_text(bible: Bible, premise: str = "", episode: int | None = None) -> str:
    """What an episode should be about: the premise, the series pitch, the season arc, the planned logline."""
    planned = [e.logline for e in bible.episodes if e.number == episode and not placeholder(e.logline)]
    return " ".join(p for p in (premise, bible.logline, bible.season_arc, *planned) if p.strip())


def episode_text(ep: Episode) -> str:
    """What an episode is about: logline, beats, scene summaries and action (not dialogue)."""
    parts = [ep.logline, *ep.beats, *(s.summary for s in ep.scenes), *(a for s in ep.scenes for a in s.action)]
    return " ".join(p for p in parts if p.strip())


def _placeholders(ep: Episode) -> list[CheckFinding]:
    out: list[CheckFinding] = []
    if placeholder(ep.title):
        out.append(CheckFinding("placeholder_title", f"the title '{ep.title}' is a placeholder; give the episode "
                                "a real title", False, ("hook",)))
    fields = [("logline", ep.logline), *((f"beat {i + 1}", b) for i, b in enumerate(ep.beats))]
    for s in ep.scenes:
        fields += [(f"scene {s.number} summary", s.summary), *((f"scene {s.number} action", a) for a in s.action)]
        fields += [(f"scene {s.number} line {i + 1}", d.text) for i, d in enumerate(s.dialogue)]
    bad = [where for where, text in fields if placeholder(text)]
    if bad:
        out.append(CheckFinding("placeholder_text", f"placeholder text instead of story in {', '.join(bad[:4])}"
                                f"{' and more' if len(bad) > 4 else ''}; write the actual events",
                                True, ("coherence", "hook")))
    return out


def _duplicates(ep: Episode, bible: Bible, previous: list[str]) -> list[CheckFinding]:
    out: list[CheckFinding] = []
    seen: dict[str, int] = {}
    for s in ep.scenes:
        key = _norm(s.summary)
        if key and key in seen:
            out.append(CheckFinding("duplicate_scene", f"scene {s.number} repeats the summary of scene {seen[key]}; "
                                    "each scene must move the story", True, ("pacing", "coherence")))
            break
        seen.setdefault(key, s.number)
    lines = [_norm(d.text) for s in ep.scenes for d in s.dialogue]
    lines = [x for x in lines if len(x.split()) >= 2]
    repeats = len(lines) - len(set(lines))
    if repeats >= 2 and repeats / len(lines) > REPEAT_SHARE:
        out.append(CheckFinding("duplicate_dialogue", f"{repeats} of {len(lines)} dialogue lines repeat earlier "
                                "ones; give each line its own content", True, ("character_consistency", "pacing")))
    others = [e.logline for e in bible.episodes if e.number != ep.number] + previous
    key = _norm(ep.logline)
    if key and any(_norm(x) == key for x in others):
        out.append(CheckFinding("duplicate_logline", f"the logline '{ep.logline}' is another episode's logline; "
                                "this episode needs its own story", True, ("coherence", "canon_adherence")))
    return out


def _dialogue(ep: Episode) -> list[CheckFinding]:
    if any(s.dialogue for s in ep.scenes):
        return []
    return [CheckFinding("no_dialogue", "the script has no dialogue at all; the characters must speak",
                         True, ("character_consistency", "pacing"))]


def _cast(ep: Episode, bible: Bible) -> list[CheckFinding]:
    world = World(bible.characters, bible.locations, [])
    names = [c for s in ep.scenes for c in [*s.characters, *(d.speaker for d in s.dialogue)]]
    named = list(dict.fromkeys(n for n in names if n.strip() and not world.people.is_extra(n)))
    unknown, places = new_names(ep, world)  # the one rule for "not in canon" (walk-ons and typos apart)
    out: list[CheckFinding] = []
    if unknown:
        block = len(unknown) * 2 > len(named)
        out.append(CheckFinding("cast_outside_canon", f"{'most of the cast is' if block else 'new characters'} "
                                f"not in canon: {', '.join(unknown[:5])}; use the canon cast or add them to canon",
                                block, ("canon_adherence", "character_consistency")))
    if places:
        out.append(CheckFinding("location_outside_canon", f"places not in canon: {', '.join(places[:4])}; use a "
                                "canon location or add them to canon", False, ("canon_adherence",)))
    return out


def _roles(ep: Episode, bible: Bible) -> list[CheckFinding]:
    everyone = {_norm(c.role) for c in bible.characters}
    people = Names.of(bible.characters)
    on_page = {c for s in ep.scenes for n in s.characters if (c := people.resolve(n)) is not None}
    if len(on_page) < 2 or len(bible.characters) < 2 or len(everyone) != 1:
        return []
    role = everyone.pop() or "no role"
    return [CheckFinding("same_role", f"every character has the same role ({role}); the cast needs distinct "
                         "parts (fix the bible)", True, ("character_consistency",))]


def _premise(ep: Episode, bible: Bible, embedder: Embeds | None, premise: str) -> list[CheckFinding]:
    ref, text = premise_text(bible, premise, ep.number), episode_text(ep)
    if embedder is None or not ref or not text:
        return []
    sim, floor = similarity(embedder, ref, text, cast_words(bible)), floor_for(embedder)
    if sim >= floor:
        return []
    return [CheckFinding("off_premise", f"the episode strays from the premise and season arc (similarity "
                         f"{sim:.2f} < {floor}); bring the story back to the series",
                         True, ("coherence", "canon_adherence"))]


def check_script(ep: Episode, bible: Bible, *, embedder: Embeds | None = None, premise: str = "",
                 previous: list[str] | None = None) -> list[CheckFinding]:
    """Every deterministic finding on one episode script; ``previous`` holds earlier episodes' loglines."""
    return [*_placeholders(ep), *_duplicates(ep, bible, previous or []), *_dialogue(ep), *_cast(ep, bible),
            *_roles(ep, bible), *_premise(ep, bible, embedder, premise)]


def check_bible(bible: Bible, *, embedder: Embeds | None = None, premise: str = "") -> list[CheckFinding]:
    """Every deterministic finding on a bible (for the bible gate)."""
    out: list[CheckFinding] = []
    if placeholder(bible.logline) or not bible.logline.strip():
        out.append(CheckFinding("placeholder_text", "the series logline is a placeholder", True, ("coherence",)))
    holders = [e.number for e in bible.episodes if placeholder(e.logline) or not e.logline.strip()]
    if holders:
        out.append(CheckFinding("placeholder_logline", f"episodes {holders[:8]} have placeholder loglines",
                                True, ("coherence", "hook")))
    titles = [e.number for e in bible.episodes if placeholder(e.title)]
    if titles:
        out.append(CheckFinding("placeholder_title", f"episodes {titles[:8]} have placeholder titles ('Episode N')",
                                False, ("hook",)))
    keys = [_norm(e.logline) for e in bible.episodes]
    twice = sorted({e.number for e, k in zip(bible.episodes, keys, strict=True) if k and keys.count(k) > 1})
    if twice:
        out.append(CheckFinding("duplicate_logline", f"episodes {twice[:8]} share a logline", True, ("coherence",)))
    if len(bible.characters) < 2:
        out.append(CheckFinding("thin_cast", f"the cast has {len(bible.characters)} distinct character(s); a series "
                                "needs at least two people with different names", True, ("character_consistency",)))
    roles = {_norm(c.role) for c in bible.characters}
    if len(bible.characters) >= 2 and len(roles) == 1:
        role = roles.pop() or "no role"
        out.append(CheckFinding("same_role", f"every character has the same role ({role}); give each a distinct "
                                "part in the story", True, ("character_consistency",)))
    ref = " ".join(p for p in (premise, bible.logline, bible.season_arc) if p.strip())
    plan = " ".join(e.logline for e in bible.episodes if e.number not in holders)
    if embedder is not None and ref and plan.strip():
        sim, floor = similarity(embedder, ref, plan, cast_words(bible)), floor_for(embedder)
        if sim < floor:
            out.append(CheckFinding("off_premise", f"the episode loglines stray from the premise and season arc "
                                    f"(similarity {sim:.2f} < {floor})", True, ("coherence",)))
    return out


def adjust(crit: Critique, findings: list[CheckFinding], *, max_notes: int = 6) -> Critique:
    """The critique with the findings applied: notes first, scores capped or lowered, "revise" if blocking."""
    if not findings:
        return crit
    scores = crit.scores.model_dump()
    for f in findings:
        for name in f.scores:
            scores[name] = min(scores[name], 3) if f.blocking else max(1, scores[name] - 2)
    notes = [f.message for f in findings] + [n for n in crit.notes if n not in {f.message for f in findings}]
    verdict: Literal["approve", "revise"] = "revise" if any(f.blocking for f in findings) else crit.verdict
    return Critique(scores=CritiqueScores(**scores), notes=notes[:max_notes], verdict=verdict)
