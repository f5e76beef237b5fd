"""Shared canon samples for the memory and canon-format tests (not a test module)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from evals.synth_series import generate  # noqa: E402

__all__ = ["generate", "small_canon"]


def small_canon() -> dict[str, Any]:
    """A small world: siblings, a death in E3 with a return in E5, sub-locations, aliases, dialogue."""
    return {
        "format": "showrunner-canon", "version": 1,
        "series": {"title": "The Lighthouse Keepers", "logline": "Two siblings keep a lighthouse.",
                   "world_rules": ["The lamp must never go out."]},
        "characters": [
            {"name": "Mira Vale", "aliases": ["Mira"],
             "look": {"hair": "short silver hair", "eyes": "green", "marks": ["scar over left eye"]},
             "state": {"outfit": "yellow raincoat", "props": ["brass key"]},
             "relations": [{"kind": "sibling", "target": "Tom"}]},
            {"name": "Tom Vale", "aliases": ["Tom"], "look": {"hair": "red curls"},
             "deaths": [{"episode": 3, "scene": 2}], "returns": [{"episode": 5, "scene": 1}],
             "relations": [{"kind": "sibling", "target": "Mira"}, {"kind": "parent", "target": "Ada"}]},
            {"id": "ada", "name": "Ada Vale", "aliases": ["Ada", "Grandmother"], "missing": [{"episode": 2}]},
            {"id": "guard-1", "name": "Guard", "aliases": ["North Guard"]},
            {"id": "guard-2", "name": "Guard", "aliases": ["South Guard"]},
        ],
        "locations": [
            {"name": "The Lighthouse", "look": "white tower on black rock"},
            {"name": "Lamp Room", "parent": "The Lighthouse", "aliases": ["the lamp"]},
            {"name": "Beach"},
        ],
        "facts": [{"kind": "possession", "subject": "Tom", "predicate": "holds", "object": "a lantern",
                   "valid_from": {"episode": 2}, "text": "Tom carries a storm lantern."}],
        "episodes": [
            {"number": 1, "title": "Storm", "scenes": [
                {"number": 1, "location": "Lamp Room", "characters": ["Mira", "Tom", "North Guard"],
                 "summary": "The siblings relight the lamp during the storm.", "start": 0, "end": 1,
                 "dialogue": [{"speaker": "Tom", "text": "Hold the ladder."}]},
                {"number": 2, "location": "Beach", "characters": ["Mira", "guard-2"],
                 "summary": "Mira finds a wrecked boat on the beach."}]},
            {"number": 3, "title": "Loss", "scenes": [
                {"number": 1, "location": "The Lighthouse", "characters": ["Tom"]},
                {"number": 2, "location": "Beach", "characters": ["Tom", "Mira"], "summary": "Tom drowns."},
                {"number": 3, "location": "Lamp Room", "characters": ["Mira", "Tom"], "flashback": True,
                 "summary": "Mira remembers Tom teaching her the lamp."}]},
            {"number": 5, "title": "Return", "scenes": [
                {"number": 1, "location": "Beach", "characters": ["Tom"], "summary": "Tom walks out of the sea.",
                 "dialogue": [{"speaker": "Tom Vale", "text": "I'm back."}]}]},
        ],
    }
