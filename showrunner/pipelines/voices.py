"""Casting voices: every character gets a distinct :class:`~showrunner.models.Voice`, kept in canon.

Voices are cast by code when the bible is committed (:func:`cast_bible`), never by an LLM or a nightly
draft, and a cast voice is never recast: a character sounds the same for the whole series. A person
changes one with ``showrunner voice set`` (:func:`set_voice`), which marks it ``set_by="person"``.

Distinctness: characters that share one voice model get different speakers when the model has several,
and otherwise (or once speakers run out) different slots of pitch, rate and timbre. A character whose note or
look reads young or feminine prefers a higher slot, old or gruff a lower one; the choice is a pure
function of the cast in bible order, so the same bible always casts the same voices. The narrator's
voice lives in ``canon/voices.json``; walk-ons that are not in canon get a slot derived from their name.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from pydantic import ValidationError

from showrunner.config import Settings
from showrunner.errors import BadInput
from showrunner.io import atomic_write
from showrunner.memory.canon import Canon
from showrunner.models import Bible, Character, DialogueLine, Voice
from showrunner.pipelines.project import Project
from showrunner.world import World
from showrunner.world.names import Names, split_qualifier

# (pitch semitones, rate, timbre): the first slots are the most different from each other. Most lean
# upward: the bundled voice is already low (about 87 Hz), and more than 5 semitones down turns to a growl,
# so the low slots differ in timbre (dark or bright) and rate as much as in pitch.
SLOTS: list[tuple[float, float, float]] = [
    (0.0, 1.0, 0.0), (5.0, 1.08, 0.3), (-3.0, 0.92, -0.6), (8.0, 1.0, -0.3), (2.5, 0.9, 0.6), (-5.0, 1.05, 0.5),
    (11.0, 1.1, 0.0), (4.0, 1.15, -0.6), (-1.5, 0.86, 0.9), (6.5, 0.94, 0.4), (1.5, 1.12, -0.9), (9.5, 0.9, 0.7),
]
HIGH = re.compile(r"\b(girl|woman|women|she|her|young|child|kid|teen\w*|boy|small|little|bright|high)\b", re.I)
LOW = re.compile(r"\b(man|men|he|his|old|elder\w*|gruff|deep|gravel\w*|large|big|giant|60s|70s|80s|low)\b", re.I)
NARRATOR = re.compile(r"^\s*(the\s+)?narrat(or|ion|ing)\b", re.I)
VOICES_FILE = "voices.json"


def slot_voice(i: int, backend: str, model: str, speakers: int, note: str = "") -> Voice:
    """Slot ``i`` of a model: speaker ``i mod n`` on a multi-speaker model, then pitch/rate/timbre slots."""
    speaker = i % speakers if speakers > 1 else None
    pitch, rate, timbre = SLOTS[(i // max(1, speakers)) % len(SLOTS)] if speakers > 1 else SLOTS[i % len(SLOTS)]
    if speakers > 1 and i < speakers:
        pitch, rate, timbre = 0.0, 1.0, 0.0  # the model's own speakers first, unaltered
    return Voice(note=note, backend=backend, model=model, speaker=speaker, rate=rate, pitch=pitch, timbre=timbre,
                 set_by="system")


def _lean(c: Character) -> int:
    """+1 reads higher (young, feminine), -1 lower (old, gruff), 0 no hint."""
    text = " ".join([c.voice.note, c.role, c.personality, c.look.age, c.look.build, c.look.describe()])
    high, low = len(HIGH.findall(text)), len(LOW.findall(text))
    return (high > low) - (low > high)


def _sig(v: Voice) -> tuple[object, ...]:
    return (v.backend, v.model, v.speaker, round(v.pitch, 2), round(v.rate, 3), round(v.timbre, 2))


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
        lean, plain = _lean(c), [v for v in free if v.pitch == 0.0]
        pick = plain[0] if speakers > 1 and plain else \
            next((v for v in free if lean == 0 or (v.pitch > 0) == (lean > 0) and v.pitch != 0), free[0])
        used.add(_sig(pick))
        out.append(c.model_copy(update={"voice": pick}))
    return out


def cast_bible(bible: Bible, backend: str, model: str, speakers: int) -> tuple[Bible, Voice]:
    """The bible with every character cast, and a narrator voice distinct from the whole cast.

    Only a voice a person set (``set_by="person"``, e.g. an edit at the bible gate) is kept as it is:
    anything else in the technical fields came from a model's draft and is recast.
    """
    fresh = [c if c.voice.set_by == "person" else c.model_copy(update={"voice": Voice(note=c.voice.note)})
             for c in bible.characters]
    kept = [c.voice for c in fresh if c.voice.cast]
    narrator = _narrator(backend, model, speakers, kept)
    chars = cast(fresh, backend, model, speakers, [narrator])
    return bible.model_copy(update={"characters": chars}), narrator


def _narrator(backend: str, model: str, speakers: int, taken: list[Voice]) -> Voice:
    """The narrator takes the first free slot (the model's own voice, unaltered, when nobody has it)."""
    return cast([Character(name="Narrator", voice=Voice(note="even, warm narration"))], backend, model, speakers,
                taken)[0].voice


def complete(characters: list[Character], narrator: Voice | None, backend: str, model: str,
             speakers: int) -> tuple[list[Character], Voice]:
    """Stored voices kept as they are; a missing narrator, then any uncast character, cast as at commit."""
    if narrator is None or not narrator.cast:
        narrator = _narrator(backend, model, speakers, [c.voice for c in characters if c.voice.cast])
    return cast(characters, backend, model, speakers, [narrator]), narrator


def default_backend(settings: Settings) -> tuple[str, str, int]:
    """(backend, model, speakers) new voices are cast on: ``settings.tts`` (Piper for a silent cut)."""
    from showrunner.tools.tts import get_tts

    name = settings.tts if settings.tts != "none" else "piper"
    model = settings.tts_model if settings.tts != "none" else ""
    return name, model, get_tts(name, settings).speakers(model)


def cast_for(bible: Bible, settings: Settings) -> tuple[Bible, Voice]:
    """:func:`cast_bible` on the default backend of ``settings`` (what ``commit_bible`` calls)."""
    return cast_bible(bible, *default_backend(settings))


def write_samples(root: Path, settings: Settings, bible: Bible) -> dict[str, str]:
    """One sample line per character, as it will be cast, for the bible gate: ``{id: wav path}``.

    Written to ``drafts/bible/voices/<id>.wav`` (deterministic: a re-run on resume writes the same audio).
    """
    from showrunner.pipelines import sound
    from showrunner.tools.tts import SpeechJob, get_tts

    cast_, narrator = cast_for(bible, settings)
    out: dict[str, str] = {}
    for c in [*cast_.characters, Character(name="Narrator", voice=narrator)]:
        tts = get_tts(c.voice.backend, settings)
        text = f"I am {c.name}." + (f" {c.voice.note.strip().rstrip('.')}." if c.voice.note.strip() else "")
        speech = tts.synthesize(SpeechJob(text[:200], c.voice))
        samples = sound.voice_fx(speech.samples, speech.sample_rate, c.voice.pitch, c.voice.timbre)
        path = root / "drafts" / "bible" / "voices" / f"{c.id}.wav"
        atomic_write(path, sound.wav_bytes(samples, speech.sample_rate))
        out[c.id] = str(path)
    return out


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
        chars, self.narrator = complete(characters, narrator, backend, model, speakers)
        self.cast = {c.id: c for c in chars}
        self._taken = {_sig(v) for v in [*(c.voice for c in chars), self.narrator]}

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


def canon_voices(project: Project, settings: Settings) -> tuple[list[Character], Voice]:
    """The canon cast with their stored voices (cast now, not saved, where one has none yet) and the narrator."""
    backend, model, speakers = default_backend(settings)
    return complete(Canon(project.canon_dir).characters(), read_narrator(project.canon_dir), backend, model,
                    speakers)


def set_voice(project: Project, settings: Settings, who: str, **changes: object) -> tuple[str, Voice]:
    """A person's change of one voice (``narrator`` or a character's name, alias or id), saved in canon.

    ``changes`` are :class:`Voice` fields (None = keep); the voice is checked against its backend (model
    file, speaker range) before anything is written. Returns (id, new voice).
    """
    from showrunner.tools.tts import get_tts

    canon = Canon(project.canon_dir)
    cast_, narrator = canon_voices(project, settings)
    if NARRATOR.match(who):
        cid, current = "narrator", narrator
    else:
        hit = Names.of(cast_).resolve(who)
        if hit is None:
            raise BadInput(f"no character {who!r} in canon; known: narrator, {', '.join(c.id for c in cast_)}")
        cid, current = hit, next(c.voice for c in cast_ if c.id == hit)
    data = {**current.model_dump(), **{k: v for k, v in changes.items() if v is not None}, "set_by": "person"}
    try:
        voice = Voice.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"invalid voice {'.'.join(map(str, err['loc']))}: {err['msg']}") from exc
    tts = get_tts(voice.backend, settings)
    tts.identity(voice)  # a missing model file is a one-line error here, not at render time
    n = tts.speakers(voice.model)
    if voice.speaker is not None and not 0 <= voice.speaker < n:
        raise BadInput(f"speaker {voice.speaker} out of range: this voice model has speakers 0-{n - 1}")
    # voices cast on the fly (a canon older than voices) are saved too, so this change shifts no one else
    stored = {c.id: c for c in canon.characters()}
    for c in cast_:
        if c.id == cid or not stored[c.id].voice.cast:
            canon.save_character(stored[c.id].model_copy(update={"voice": voice if c.id == cid else c.voice}))
    write_narrator(project.canon_dir, voice if cid == "narrator" else narrator)
    return cid, voice
