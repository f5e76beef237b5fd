"""A shot's spec from the world: who is on screen, the image prompt, negative prompt, seed and references.

Everything a renderer needs to keep characters consistent is assembled here by code, from canon and the
shot's own fields, never retyped by a model:

* **on screen means drawn** (:func:`on_screen`): everyone the director put in the shot, everyone who
  speaks in it (except voice-over, recordings and the like) and everyone its action names;
* **looks at that moment**: each character's fixed traits plus the outfit, injuries and props that hold
  at the shot's scene (:meth:`World.look`), so a change of clothes in E12 reaches every later frame and
  reference sheet;
* **the prompt** (:func:`shot_prompt`) orders what matters first: the action and the framing (what
  happens, to whom, how close), then the characters' looks, the setting, the camera move and last the
  style; the diffusers backend encodes all of it, past CLIP's 77 tokens (:mod:`showrunner.tools.families`),
  and the order still decides what the model weighs most; stray words a small model leaves in an action
  ("Framing.", "camera_move") are dropped (:func:`clean_action`);
* **seed** from the series title and shot id; **references** are the on-screen character ids and the
  location id.
"""

from __future__ import annotations

import hashlib
import re

from showrunner.models import Character, DialogueLine, Framing, Scene, Shot
from showrunner.world.lexicon import NOT_PRESENT
from showrunner.world.names import norm, split_qualifier
from showrunner.world.state import World

FRAMING_WORDS = {
    Framing.extreme_wide: "extreme wide shot", Framing.wide: "wide shot", Framing.medium: "medium shot",
    Framing.close_up: "close-up", Framing.extreme_close_up: "extreme close-up",
    Framing.over_shoulder: "over-the-shoulder shot",
}
NEGATIVE = "text, watermark, logo, signature, blurry, deformed hands, extra limbs, bad anatomy, off-model face"
# words a small model echoes from the schema or the prompt, never part of a real action
FIELD_WORDS = frozenset({"framing", "camera", "camera_move", "cameramove", "move", "duration", "characters",
                         "action", "frame", "shot", "shots", "scene", "dialogue", "json", "null", "none", "n/a"})
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def shot_seed(title: str, shot_id: str) -> int:
    """A stable seed per series and shot (same shot, same frame)."""
    return int(hashlib.sha256(f"{title}|{shot_id}".encode()).hexdigest()[:8], 16) % (2**31)


def clean_action(text: str) -> str:
    """The action without schema words and one-word fragments ('Framing. Camera_Move. Mira runs.' → 'Mira runs.')."""
    keep = []
    for sent in _SENTENCE.split(" ".join(text.split())):
        words = re.findall(r"[A-Za-z_']+", sent)
        if len(words) < 2 or sum(norm(w).replace(" ", "_") in FIELD_WORDS or w.lower() in FIELD_WORDS
                                 for w in words) * 2 >= len(words):
            continue
        keep.append(sent.strip())
    return " ".join(keep)


def speaks_present(line: DialogueLine) -> bool:
    """True when the speaker is physically there (not a voice-over, recording, call or hologram)."""
    return not NOT_PRESENT.search(f"{line.direction} {line.speaker}")


def on_screen(world: World, shot: Shot, present: list[str]) -> list[str]:
    """Ids of the characters in the shot: chosen by the director, speaking, or named in the action.

    ``present`` is the scene's cast; when the director named nobody, the first two of it stand in.
    """
    cast = [c for x in present if (c := world.people.resolve(x)) and not NOT_PRESENT.search(split_qualifier(x)[1])]
    out: list[str] = []
    for ref in shot.characters:
        cid = world.people.find(ref)
        if cid and cid not in out and (cid in cast or not cast):
            out.append(cid)
    for line in shot.dialogue:
        cid = world.people.resolve(line.speaker)
        if cid and speaks_present(line) and cid not in out:
            out.append(cid)
    for cid in sorted(world.people.mentions(shot.action)):
        if cid not in out:
            out.append(cid)
    return out or cast[:2]


def shot_prompt(shot: Shot, looks: list[Character], place: str, style: str) -> str:
    """The image prompt, most important first: action, framing, characters' looks, setting, camera move, style."""
    who = "; ".join(c.canonical_look() for c in looks)
    parts = [clean_action(shot.action), FRAMING_WORDS.get(shot.framing, ""), who, place,
             shot.camera_move.value.replace("_", " ") if shot.camera_move.value != "static" else "", style]
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip(" ."))


def shot_spec(world: World, shot: Shot, *, episode: int, scene: Scene, style: str, title: str) -> Shot:
    """``shot`` with its cast, looks, prompt, negative prompt, seed and references filled from the world."""
    cast = on_screen(world, shot, scene.characters)
    at_scene = scene.number
    looks = [lk for lk in (world.look(cid, episode, at_scene) for cid in cast) if lk is not None]
    place_id = world.places.resolve(scene.location)
    loc = next((x for x in world.locations if x.id == place_id), None)
    place = loc.look_at(scene.time_of_day) if loc else ""
    shot_id = shot.id or f"e{episode:03d}-s{shot.scene:02d}-{shot.number:02d}"
    spec = shot.model_copy(update={"id": shot_id, "characters": cast, "action": clean_action(shot.action)})
    spec.visual_prompt = shot_prompt(spec, looks, place, style)
    spec.negative_prompt = NEGATIVE
    spec.seed = shot.seed or shot_seed(title, shot_id)
    spec.reference_ids = [*cast, *([loc.id] if loc else [])]
    return spec


def looks_of(world: World, shot: Shot, episode: int) -> list[Character]:
    """The on-screen characters of an approved shot with their looks at its scene (for render jobs)."""
    out = []
    for ref in shot.characters:
        cid = world.people.resolve(ref)
        look = world.look(cid, episode, shot.scene) if cid else None
        if look is not None:
            out.append(look)
    return out
