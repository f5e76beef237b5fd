"""Graph state: the typed contract between nodes, with every reducer named in ``Annotated[...]``.

Artifacts are domain models (``showrunner.models``); lists that several nodes or parallel ``Send``
branches append to (usage records, decisions, per-scene shots) carry an explicit reducer. Everything
here is checkpointed, so it holds ids and small artifacts, never bytes.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from showrunner.adapt.models import Adaptation
from showrunner.models import (
    Bible,
    ContinuityIssue,
    Critique,
    Episode,
    Fact,
    Outline,
    Scene,
    Shot,
)

Gate = Literal["adaptation", "bible", "script", "storyboard", "final"]
GATES: tuple[Gate, ...] = ("adaptation", "bible", "script", "storyboard", "final")
Action = Literal["approve", "reject", "edit"]


def merge_scene_shots(left: dict[str, list[Shot]] | None,
                      right: dict[str, list[Shot]] | None) -> dict[str, list[Shot]]:
    """Fan-in of the director's per-scene branches; an empty dict resets (a new storyboard round)."""
    if not right:
        return {}
    return {**(left or {}), **right}


def episode_log(left: list[dict[str, Any]] | None, right: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Append, or reset with ``None`` (start of an episode): checkpoint size stays flat as the series grows.

    The permanent record of calls and decisions is on disk (logs/ledger.jsonl, logs/decisions.jsonl).
    """
    if right is None:
        return []
    return [*(left or []), *right]


class Review(TypedDict, total=False):
    """The last human (or automatic) decision at a gate."""

    gate: Gate
    episode: int
    action: Action
    notes: str
    auto: bool


class SeriesState(TypedDict, total=False):
    """State of one series thread (or of one draft-episode thread in nightly mode)."""

    # inputs
    premise: str
    episodes_total: int
    first_episode: int
    last_episode: int
    # adaptation of a book (showrunner adapt): the split book's folder, the plan at its gate
    book: str
    adaptation: Adaptation | None
    adaptation_notes: list[str]
    # series level
    bible: Bible | None
    bible_notes: list[str]
    bible_findings: list[str]  # the critic's blocking findings on the latest bible draft
    bible_rewrites: int  # automatic rewrites of the bible for those findings (bounded by revision_limit)
    # episode level (reset by start_episode)
    episode: int
    outline: Outline | None
    script: Episode | None
    continuity: list[ContinuityIssue]
    critique: Critique | None
    revisions: int
    script_notes: list[str]
    storyboard_notes: list[str]
    scene_shots: Annotated[dict[str, list[Shot]], merge_scene_shots]
    shots: list[Shot]
    new_facts: list[Fact]
    render: dict[str, Any]
    review: Review
    episode_notes: dict[str, list[str]]
    started_at: dict[str, float]
    finished_at: dict[str, float]
    # this episode's calls and decisions (reset by start_episode; full history in logs/)
    usage: Annotated[list[dict[str, Any]], episode_log]
    decisions: Annotated[list[dict[str, Any]], episode_log]
    completed: Annotated[list[int], operator.add]


class SceneTask(TypedDict):
    """What one director branch (``Send``) receives: one scene and what it needs to plan it."""

    episode: int
    scene: Scene
    bible: Bible
    notes: list[str]
    scenes: NotRequired[int]  # how many scenes the script has: each gets its share of the episode's length


def usage_record(gen_usage: Any, *, episode: int, node: str, scene: int | None = None) -> dict[str, Any]:
    """A JSON-safe usage line for the state's ``usage`` log (tokens and model time per call)."""
    rec = dict(gen_usage.as_dict())
    rec.update(episode=episode, node=node)
    if scene is not None:
        rec["scene"] = scene
    return rec
