"""The story world at a point in time: one pure package (no I/O, no LLM, no store).

* :mod:`~showrunner.world.names` — the one name resolver (aliases, titles, numbered extras, near-misses);
* :mod:`~showrunner.world.timeline` — versioned facts in time: the index, supersession, where a fact began;
* :mod:`~showrunner.world.facts` — the one derivation of facts from a bible, a canon file or an episode;
* :mod:`~showrunner.world.state` — :class:`World`: who is alive, dead or where, looks, possessions,
  relations at any (episode, scene);
* :mod:`~showrunner.world.admit` — what may enter canon (valid values of each kind; new names found);
* :mod:`~showrunner.world.shots` — a shot's spec: on-screen cast, prompt, negative prompt, seed, references.
* :mod:`~showrunner.world.format` — the episode format and the plan it implies (scenes, shots, lines, memory);
* :mod:`~showrunner.world.coverage` — a scene's shots completed to fill its share of the episode.

Agents, memory, render and the CLI sit around it and call it.
"""

from showrunner.world.names import Names
from showrunner.world.state import Snapshot, World

__all__ = ["Names", "Snapshot", "World"]
