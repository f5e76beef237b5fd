"""Deterministic synthetic long series in the canon format, for the memory benchmark.

At ``scale=1.0``: ~400 characters, 72 episodes, ~4,000 scenes, ~20,000 derived facts — the size of a long
real series. Names, looks, places, deaths, returns and scene summaries come from a seeded RNG, so the
same seed always gives the same file.

    python -m evals.synth_series out.json [--scale 1.0] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from showrunner.memory.canon_format import write_canon_file
from showrunner.models import (
    CanonCharacter,
    CanonFile,
    CanonSeries,
    CurrentLook,
    DialogueLine,
    Episode,
    FixedLook,
    Location,
    Relation,
    Scene,
    SceneRef,
)

FIRST = ("Ada Bruno Cass Dara Elio Fen Gil Hana Ivo Juno Kai Lena Milo Nia Oren Pia Quin Rhea Sol Tavi Uma "
         "Vero Wren Xan Yara Zed Ama Bex Cyr Dov Esme Faro Gwen Hugo Isla Jory Kit Lark Moss Nox").split()
LAST = ("Vale Stone Reed Marsh Frost Hale Crane Dunn Ash Wilde Pike Rowe Lusk Quill Thorne Bram Kerr Voss "
        "Lind Mire").split()
HAIR = "silver crop|red curls|black braid|shaved head|blond bob|grey topknot|brown waves|blue streaks".split("|")
EYES = "green|brown|grey|amber|blue|violet|black".split("|")
BUILD = "tall and wiry|short and stocky|broad-shouldered|slight|heavyset|lanky".split("|")
MARKS = "scar over left eye|tattoo of a gull|missing finger|burn on right hand|freckled nose".split("|")
OUTFIT = "yellow raincoat|grey uniform|red flight jacket|patched cloak|white lab coat|fisherman's sweater".split("|")
PROPS = "brass key|lantern|old map|radio|dagger|pocket watch|notebook|compass".split("|")
PLACES = ("Lighthouse Harbour Market Archive Foundry Chapel Tower Docks Orchard Mill Barracks Library Tavern "
          "Observatory Quarry Bridge Garden Vault Station Bazaar").split()
ROOMS = "Cellar|Roof|Hall|Office|Kitchen|Gate".split("|")
VERBS = ("confronts|hides from|rescues|argues with|bargains with|betrays|follows|warns|teaches|"
         "searches for|toasts|mourns with").split("|")
THINGS = "the missing ledger|a coded letter|the flooded engine|the broken lamp|a stolen seal|the storm".split("|")
RELS = "sibling|parent|child|rival|mentor|spouse|friend".split("|")
SUFFIX = ("", "ford", "wick", "ley", "more", "by", "ton", "well")


def generate(scale: float = 1.0, seed: int = 7, *, episodes: int | None = None,
             scenes_per_ep: int = 56) -> CanonFile:
    """The synthetic series (deterministic for given arguments); ``episodes`` overrides the scaled count."""
    rng = random.Random(seed)
    n_chars, n_eps = max(8, int(400 * scale)), episodes or max(3, int(72 * scale))
    # past len(FIRST) x len(LAST) characters (scale > 2) surnames take a suffix, so names stay unique
    names = [f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"
             f"{SUFFIX[i // (len(FIRST) * len(LAST)) % len(SUFFIX)]}" for i in range(n_chars)]
    chars: list[CanonCharacter] = []
    for i, name in enumerate(names):
        look = FixedLook(hair=rng.choice(HAIR), eyes=rng.choice(EYES), build=rng.choice(BUILD),
                         age=f"{rng.randint(12, 80)}", marks=rng.sample(MARKS, rng.randint(0, 1)))
        state = CurrentLook(outfit=rng.choice(OUTFIT), props=rng.sample(PROPS, rng.randint(0, 2)))
        rels = [Relation(kind=rng.choice(RELS), target=names[rng.randrange(n_chars)]) for _ in range(rng.randint(0, 2))]
        chars.append(CanonCharacter(name=name, aliases=[name.split()[0] + str(i)], look=look, state=state,
                                    relations=[r for r in rels if r.target != name]))
    locs: list[Location] = []
    for p in PLACES:
        locs.append(Location(name=f"The {p}", look=f"the {p.lower()} in rain-washed light"))
        locs += [Location(name=f"{p} {r}", parent=f"the-{p.lower()}") for r in rng.sample(ROOMS, 2)]
    # a few deaths (some with returns) in the middle of the series
    for c in rng.sample(chars, max(2, n_chars // 13)):
        ep = rng.randint(2, n_eps - 1)
        c.deaths.append(SceneRef(episode=ep, scene=rng.randint(1, scenes_per_ep)))
        if rng.random() < 0.2 and ep + 2 <= n_eps:
            c.returns.append(SceneRef(episode=rng.randint(ep + 1, n_eps), scene=1))
    eps = []
    for e in range(1, n_eps + 1):
        scenes = []
        for s in range(1, scenes_per_ep + 1):
            cast = rng.sample(range(n_chars), rng.randint(2, 5))
            loc = rng.choice(locs)
            a, b = names[cast[0]], names[cast[1]]
            summary = f"{a} {rng.choice(VERBS)} {b} over {rng.choice(THINGS)} at {loc.name}."
            scenes.append(Scene(number=s, location=loc.id, characters=[chars[c].id for c in cast],
                                flashback=rng.random() < 0.03, start=float(s), end=float(s) + 0.5,
                                summary=summary,
                                dialogue=[DialogueLine(speaker=chars[cast[0]].id, text=f"We need {b}.")]))
        eps.append(Episode(number=e, title=f"Episode {e}", scenes=scenes))
    series = CanonSeries(title="Harbour of Lamps", logline="A harbour town keeps its lamps burning.",
                         world_rules=["The harbour lamps must never all go out.", "No one crosses the bar at night."])
    return _drop_dead_cast(CanonFile(series=series, characters=chars, locations=locs, episodes=eps))


def _drop_dead_cast(cf: CanonFile) -> CanonFile:
    """Keep the generated canon self-consistent: the dead appear only in flashbacks until they return."""
    gone = {c.id: (c.deaths[0], c.returns[0] if c.returns else None) for c in cf.characters if c.deaths}
    for ep in cf.episodes:
        for sc in ep.scenes:
            if sc.flashback:
                continue
            here = (ep.number, sc.number)
            keep = []
            for cid in sc.characters:
                d = gone.get(cid)
                if d and d[0].key() < here and (d[1] is None or here < d[1].key()):
                    continue
                keep.append(cid)
            sc.characters = keep
            sc.dialogue = [ln for ln in sc.dialogue if ln.speaker in keep]
    return cf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    cf = generate(args.scale, args.seed)
    write_canon_file(cf, args.out)
    print(f"{args.out}: {len(cf.characters)} characters, {len(cf.episodes)} episodes, "
          f"{sum(len(e.scenes) for e in cf.episodes)} scenes")


if __name__ == "__main__":
    main()
