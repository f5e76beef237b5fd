"""Series-level bookkeeping nodes: where a run starts, which episode is next, when the series ends."""

from __future__ import annotations

import time
from typing import Any, Literal

from showrunner.state import SeriesState


def route_start(state: SeriesState) -> Literal["write_bible", "extract_book", "start_episode"]:
    """A run with a bible (resumed series, nightly draft) starts at the episodes; a book at its extraction."""
    if state.get("bible") is not None:
        return "start_episode"
    return "extract_book" if state.get("book") else "write_bible"


def next_episode(state: SeriesState) -> int:
    done = state.get("completed") or []
    return max(done) + 1 if done else state.get("first_episode") or 1


def start_episode(state: SeriesState) -> dict[str, Any]:
    """Reset the per-episode fields (seeding notes carried in for a redraft) and stamp the start time."""
    n = next_episode(state)
    notes = list((state.get("episode_notes") or {}).get(str(n), []))
    return {"episode": n, "outline": None, "script": None, "continuity": [], "critique": None, "revisions": 0,
            "script_notes": notes, "storyboard_notes": notes, "scene_shots": {}, "shots": [], "render": {},
            "new_facts": [], "usage": None, "decisions": None,
            "started_at": {**(state.get("started_at") or {}), str(n): time.time()}}


def route_next(state: SeriesState) -> Literal["start_episode", "__end__"]:
    last = state.get("last_episode") or state.get("episodes_total") or 0
    return "start_episode" if next_episode(state) <= last else "__end__"
