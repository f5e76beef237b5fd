"""The retrieval call the agents use: the facts that matter for one scene or shot, within a token budget.

Order of priority:

1. hard facts about who and what is on screen, as they hold *now*: status, fixed look, current look,
   possessions, whereabouts, relationships among those on screen, and the on-screen places;
2. semantic neighbours of the query among facts that hold now (then draft facts, when asked for);
3. recent events, those involving the cast or the place first.

Each tier is bounded by the size of the scene, not by the length of the series (the index answers
"holds at (E, S)" and "events before (E, S)" directly), and the whole pack is cut to ``budget_tokens``,
so episode 50 costs no more context than episode 2.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from showrunner.llm.base import estimate_tokens
from showrunner.memory.base import ContextPack
from showrunner.models import Fact, FactKind

if TYPE_CHECKING:
    from showrunner.memory.chroma_store import ChromaMemory

HARD_ORDER = {FactKind.status: 0, FactKind.fixed_appearance: 1, FactKind.current_appearance: 2,
              FactKind.possession: 3, FactKind.whereabouts: 4, FactKind.relationship: 5,
              FactKind.world_rule: 6, FactKind.event: 7}
SEMANTIC_K = 8
RECENT_EVENTS = 6
# share of the budget each tier may take before the next tier gets its turn
TIER_SHARE = (0.6, 0.85, 1.0)


def _resolve(mem: ChromaMemory, refs: list[str], kind: str) -> tuple[list[str], dict[str, str]]:
    """Ids for names/aliases/ids (via the canon when there is one) and an id → display name map."""
    from showrunner.models import slugify

    both = mem.resolver()
    if both is None:
        return [slugify(r) for r in refs], {}
    people, places = both
    pick = people if kind == "character" else places
    return [pick.resolve(r) or slugify(r) for r in refs], people.display | places.display


def _line(fact: Fact, draft: bool = False) -> str:
    tag = "DRAFT, " if draft else ""
    return f"- {fact.sentence()} [{tag}{fact.kind.value.replace('_', ' ')}, since {fact.valid_from}]"


def _hard(mem: ChromaMemory, episode: int, scene: int | None, chars: list[str], locs: list[str]) -> list[Fact]:
    on_screen = set(chars) | set(locs)
    facts = mem.index().about([*chars, *locs], episode, scene)
    keep = [f for f in facts if f.kind != FactKind.event
            and (f.kind != FactKind.relationship or f.object in on_screen or f.subject in locs)]
    order = {s: i for i, s in enumerate([*chars, *locs])}
    return sorted(keep, key=lambda f: (HARD_ORDER[f.kind], order.get(f.subject, 99)))


def _recent(mem: ChromaMemory, episode: int, scene: int | None, chars: list[str], locs: list[str],
            names: dict[str, str]) -> list[Fact]:
    events = mem.index().events_before(episode, scene, limit=200)
    keys = [names.get(c, c) for c in chars]

    def involved(f: Fact) -> bool:
        return f.subject in locs or any(k and k in f.text for k in keys)

    mine = list(islice(filter(involved, events), RECENT_EVENTS))
    taken = {id(f) for f in mine}
    rest = [f for f in events[:RECENT_EVENTS] if id(f) not in taken]
    return (mine + rest)[:RECENT_EVENTS]


def build_pack(mem: ChromaMemory, *, episode: int, scene: int | None, characters: list[str],
               locations: list[str], query: str, budget_tokens: int, include_drafts: bool) -> ContextPack:
    """Assemble the :class:`ContextPack` for one retrieval call (see the module docstring)."""
    chars, names = _resolve(mem, characters, "character")
    locs, _ = _resolve(mem, locations, "location")
    hard = _hard(mem, episode, scene, chars, locs)
    semantic = mem.search(query, episode=episode, scene=scene, k=SEMANTIC_K) if query else []
    drafts = (mem.search(query or " ".join(characters + locations), episode=episode, scene=scene,
                         k=SEMANTIC_K // 2, space="draft") if include_drafts else [])
    recent = _recent(mem, episode, scene, chars, locs, names)
    tiers: list[list[tuple[Fact, bool]]] = [
        [(f, False) for f in hard],
        [(f, False) for f in semantic] + [(f, True) for f in drafts],
        [(f, False) for f in recent],
    ]
    header = f"Canon as of E{episode}" + ("" if scene is None else f" S{scene}") + ":"
    lines, chosen, seen = [header], [], set()
    used = estimate_tokens(header)
    leftovers: list[tuple[Fact, bool]] = []
    truncated = False

    def take(fact: Fact, draft: bool, cap: int) -> bool:
        nonlocal used
        line = _line(fact, draft)
        cost = estimate_tokens(line + "\n")
        if used + cost > cap:
            return False
        seen.add(fact.sentence())
        lines.append(line)
        chosen.append(fact)
        used += cost
        return True

    for tier, share in zip(tiers, TIER_SHARE, strict=True):
        for fact, draft in tier:
            if fact.sentence() not in seen and not take(fact, draft, int(budget_tokens * share)):
                leftovers.append((fact, draft))
    for fact, draft in leftovers:  # room left by short later tiers goes back to earlier ones, in order
        if fact.sentence() not in seen and not take(fact, draft, budget_tokens):
            truncated = True
    text = "\n".join(lines) if chosen else ""
    return ContextPack(facts=chosen, text=text, tokens=estimate_tokens(text) if text else 0,
                       truncated=truncated)
