"""The text the continuity checks read: a scene flattened into units, and how a finding is built.

:func:`units` flattens a scene into summary sentences, action lines, dialogue, shot actions and shot
dialogue, each with its place (line index, shot id). Sentences split on ``.!?`` only, so a look given
after a semicolon keeps its antecedent ("Mira enters; her hair is blue"). :func:`finding` builds a
structured finding that cites the contradicted fact and where it was established.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from showrunner.models import (
    ContinuityIssue,
    Fact,
    FactKind,
    Scene,
    Severity,
    Shot,
)
from showrunner.world.timeline import established_at

if TYPE_CHECKING:
    from showrunner.world import World

PERSONAL = {FactKind.status, FactKind.fixed_appearance, FactKind.current_appearance, FactKind.whereabouts,
            FactKind.relationship}
_SENT = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Unit:
    """One piece of scene text: where it is, who speaks it (dialogue only), and what it says."""

    kind: str  # summary | action | dialogue | shot_action | shot_dialogue
    text: str
    line: int | None = None
    shot: str | None = None
    speaker: str | None = None
    direction: str = ""
    antecedent: str | None = None  # the character a bare pronoun refers to (last one named before)

    @property
    def spoken(self) -> bool:
        return self.kind in ("dialogue", "shot_dialogue")

    def where(self) -> str:
        if self.shot:
            return f"shot {self.shot}"
        if self.kind == "dialogue":
            return f"dialogue line {self.line}"
        if self.kind == "action":
            return f"action line {self.line}"
        return "summary"


def shot_id(s: Shot) -> str:
    return s.id or f"s{s.scene:02d}-{s.number:02d}"


def units(scene: Scene, shots: list[Shot]) -> Iterator[Unit]:
    for sent in _SENT.split(scene.summary.strip()):
        if sent:
            yield Unit("summary", sent)
    for i, text in enumerate(scene.action):
        for sent in _SENT.split(text.strip()):
            yield Unit("action", sent, line=i)
    for i, d in enumerate(scene.dialogue):
        yield Unit("dialogue", d.text, line=i, speaker=d.speaker, direction=d.direction)
    for s in shots:
        if s.action:
            yield Unit("shot_action", s.action, shot=shot_id(s))
        for d in s.dialogue:
            yield Unit("shot_dialogue", d.text, shot=shot_id(s), speaker=d.speaker, direction=d.direction)


def finding(code: str, episode: int, scene: Scene, message: str, *, fact: Fact | None = None,
            unit: Unit | None = None, suggestion: str = "", severity: Severity = Severity.error,
            shot: str | None = None, line: int | None = None, characters: list[str] | None = None,
            item: str | None = None) -> ContinuityIssue:
    """Build a deterministic finding, citing ``fact`` and where it was established."""
    if unit is not None:
        shot = shot or unit.shot
        line = line if line is not None else (unit.line if unit.kind == "dialogue" else None)
    return ContinuityIssue(
        code=code, severity=severity, episode=episode, scene=scene.number, shot=shot, line=line,
        message=message, fact=fact.sentence() if fact else None, fact_id=(fact.id or None) if fact else None,
        established=established_at(fact) if fact else None, suggestion=suggestion,
        characters=characters if characters is not None else ([fact.subject] if fact and fact.kind in PERSONAL
                                                               else []), item=item)


_CLAUSE = re.compile(r"\s*(?:;|:|\u2014|\s--?\s)\s*")
_ARTICLE = {"a", "an", "the", "some", "another", "one", "two", "three", "several", "many", "his", "her", "their"}


def clauses(view: World, u: Unit) -> list[tuple[list[str], Unit]]:
    """``u`` split at ';', ':' and dashes, each clause tagged, with the referent of a bare pronoun in it.

    The first clause keeps ``u.antecedent``; a later one takes the subject of the clause before it: a
    named character ("Kade turns; her hair is black" → Kade), or nobody when that subject is someone
    unnamed ("A young ensign hurries past Kade; her hair..." → not Kade).
    """
    out: list[tuple[list[str], Unit]] = []
    ante = u.antecedent
    for part in (p for p in _CLAUSE.split(u.text) if p.strip()):
        toks = view.tag(part)
        out.append((toks, replace(u, antecedent=ante)))
        if toks and toks[0].startswith("@"):
            ante = toks[0][1:]
        elif toks and toks[0] in _ARTICLE:
            ante = None
    return out
