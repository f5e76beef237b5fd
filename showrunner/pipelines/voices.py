"""Casting voices: every character gets a distinct :class:`~showrunner.models.Voice`, kept in canon.

Voices are cast by code when the bible is committed (:func:`cast_bible`), never by an LLM or a nightly
draft, and a cast voice is never recast: a character sounds the same for the whole series. A person
changes one with ``showrunner voice set`` (:func:`set_voice`), which marks it ``set_by="person"``.

Distinctness: characters that share one voice model get different speakers when the model has several,
and otherwise (or once speakers run out) different slots of pitch and rate. A character whose note or
look reads young or feminine prefers a higher slot, old or gruff a lower one; the choice is a pure
function of the cast in bible order, so the same bible always casts the same voices. The narrator's
voice lives in ``canon/voices.json``; walk-ons that are not in canon get a slot derived from their name.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from showrunner.io import atomic_write
from showrunner.models import Bible, Character, DialogueLine, Voice
from showrunner.world import World
from showrunner.world.names import split_qualifier

# (pitch semitones, rate): the first slots are the most different from each other.
SLOTS: list[tuple[float, float]] = [
    (0.0, 1.0), (5.0, 1.08), (-4.0, 0.92), (8.0, 1.0), (-7.0, 1.04), (3.0, 0.9), (-2.0, 1.12), (10.0, 1.12),
    (-9.0, 0.95), (6.5, 0.94), (-5.5, 1.1), (1.5, 1.15),
]
HIGH = re.compile(r"\b(girl|woman|women|she|her|young|child|kid|teen\w*|boy|small|little|bright|high)\b", re.I)
LOW = re.compile(r"\b(man|men|he|his|old|elder\w*|gruff|deep|gravel\w*|large|big|giant|60s|70s|80s|low)\b", re.I)
NARRATOR = re.compile(r"^\s*(the\s+)?narrat(or|ion|ing)\b", re.I)
VOICES_FILE = "voices.json"


def slot_voice(i: int, backend: str, model: str, speakers: int, note: str = "") -> Voice:
    """Slot ``i`` of a model: speaker ``i mod n`` on a multi-speaker model, then pitch/rate slots."""
    speaker = i % speakers if speakers > 1 else None
    pitch, rate = SLOTS[(i // max(1, speakers)) % len(SLOTS)] if speakers > 1 else SLOTS[i % len(SLOTS)]
    if speakers > 1 and i < speakers:
        pitch, rate = 0.0, 1.0  # the model's own speakers first, unaltered
    return Voice(note=note, backend=backend, model=model, speaker=speaker, rate=rate, pitch=pitch,
                 set_by="system")


def _lean(c: Character) -> int:
    """+1 reads higher (young, feminine), -1 lower (old, gruff), 0 no hint."""
    text = " ".join([c.voice.note, c.role, c.personality, c.look.age, c.look.build, c.look.describe()])
    high, low = len(HIGH.findall(text)), len(LOW.findall(text))
    return (high > low) - (low > high)


def _sig(v: Voice) -> tuple[object, ...]:
    return (v.backend, v.model, v.speaker, round(v.pitch, 2), round(v.rate, 3))


def cast(characters: list[Character], backend: str, model: str, speakers: int,
         taken: list[Voice] | None = None) -> list[Character]:
    """The characters with every uncast voice cast to a free slot (cast voices are kept as they are)."""
    used = {_sig(c.voice) for c in characters if c.voice.cast} | {_sig(v) for v in taken or []}
    limit = max(len(SLOTS), speakers) * max(1, speakers)
    out = []
    for c in characters:
        if c.voice.cast:
            out.append(c)
            continue
        free = [v for i in range(limit) if _sig(v := slot_voice(i, backend, model, speakers, c.voice.note))
                not in used] or [slot_voice(0, backend, model, speakers, c.voice.note)]
        lean = _lean(c)
        pick = next((v for v in free if lean == 0 or (v.pitch > 0) == (lean > 0) and v.pitch != 0), free[0])
        used.add(_sig(pick))
        out.append(c.model_copy(update={"voice": pick}))
    return out


def cast_bible(bible: Bible, backend: str, model: str, speakers: int) -> tuple[Bible, Voice]:
    """The bible with every character cast, and a narrator voice distinct from the whole cast."""
    chars = cast(bible.characters, backend, model, speakers)
    narrator = cast([Character(name="Narrator", voice=Voice(note="even, warm narration"))], backend, model,
                    speakers, [c.voice for c in chars])[0].voice
    return bible.model_copy(update={"characters": chars}), narrator


def read_narrator(canon_dir: Path) -> Voice | None:
    path = canon_dir / VOICES_FILE
    if not path.is_file():
        return None
    return Voice.model_validate(json.loads(path.read_text(encoding="utf-8")).get("narrator") or {})


def write_narrator(canon_dir: Path, voice: Voice) -> None:
    atomic_write(canon_dir / VOICES_FILE, json.dumps({"narrator": voice.model_dump(mode="json")}, indent=2) + "\n")


class Casting:
    """Who speaks a line, and with which voice: canon voices, the narrator, and walk-ons by name."""

    def __init__(self, world: World, characters: list[Character], narrator: Voice | None, backend: str,
                 model: str, speakers: int) -> None:
        self.world = world
        self.backend, self.model, self.speakers = backend, model, speakers
        self.cast = {c.id: c for c in cast(characters, backend, model, speakers)}
        taken = [c.voice for c in self.cast.values()]
        self.narrator = narrator if narrator and narrator.cast else \
            cast([Character(name="Narrator")], backend, model, speakers, taken)[0].voice
        self._taken = {_sig(v) for v in [*taken, self.narrator]}

    def speaker(self, line: DialogueLine) -> tuple[str, Voice]:
        """(speaker id or walk-on name, voice) for one line."""
        name = split_qualifier(line.speaker)[0]
        if NARRATOR.match(name):
            return "narrator", self.narrator
        cid = self.world.people.resolve(line.speaker)
        if cid and cid in self.cast:
            return cid, self.cast[cid].voice
        h = int(hashlib.sha256(name.lower().encode()).hexdigest()[:8], 16)
        limit = max(len(SLOTS), self.speakers) * max(1, self.speakers)
        for k in range(limit):
            v = slot_voice((h + k) % limit, self.backend, self.model, self.speakers)
            if _sig(v) not in self._taken:
                return name, v
        return name, self.narrator
