"""A scene's shots made to fill its share of the episode: speech sets the floor, the plan the total (pure).

The director's model plans the shots; this module makes the plan hold the time the format gives the
scene, deterministically:

* **dialogue** is spread over the shots in order (:func:`give_lines`), and a shot with lines lasts at
  least as long as they take to say (about 2.5 words a second plus a beat: :func:`speech_seconds`);
* **too few shots** (a model that plans 2 where the format asks for 10): long silent shots are split,
  then coverage is added from the scene's own beats (action lines and summary sentences): an
  establishing wide, reverse angles over a shoulder, inserts of detail, reaction close-ups;
* **durations**: silent shots are scaled together so the scene lands on its target (each between
  :data:`~showrunner.world.format.MIN_SHOT_S` and the plan's longest shot); if they cannot stretch
  far enough, more coverage is added.

Every change is returned as a note so the caller can log it: a short episode is never silently accepted.
"""

from __future__ import annotations

import re

from showrunner.models import CameraMove, DialogueLine, Framing, Scene, Shot
from showrunner.world.format import MIN_SHOT_S, TOLERANCE, FormatPlan

WORDS_PER_S = 2.5
MAX_SHOT_WITH_LINES_S = 60.0
_TIGHTER = {Framing.extreme_wide: Framing.wide, Framing.wide: Framing.medium, Framing.medium: Framing.close_up,
            Framing.over_shoulder: Framing.close_up, Framing.close_up: Framing.extreme_close_up}
_MOVES = (CameraMove.static, CameraMove.dolly_in, CameraMove.pan_left, CameraMove.handheld, CameraMove.pan_right)


def speech_seconds(lines: list[DialogueLine]) -> float:
    """How long a shot must last for its lines to be read or spoken (0 without lines)."""
    words = sum(len(d.text.split()) for d in lines)
    return round(words / WORDS_PER_S + 1.0, 1) if words else 0.0


def give_lines(shots: list[Shot], lines: list[DialogueLine]) -> None:
    """Spread the scene's dialogue over its shots in order, none lost or reordered; long enough to say them."""
    if not shots:
        return
    per, extra = divmod(len(lines), len(shots))
    start = 0
    for i, shot in enumerate(shots):
        take = per + (1 if i < extra else 0)
        shot.dialogue = list(lines[start:start + take])
        start += take
        need = speech_seconds(shot.dialogue)
        if need:
            shot.duration = min(max(shot.duration, need), MAX_SHOT_WITH_LINES_S)


def beats_of(scene: Scene) -> list[str]:
    """The scene's beats: its action lines, else the sentences of its summary."""
    beats = [a.strip() for a in scene.action if a.strip()]
    beats += [s.strip() for s in re.split(r"(?<=[.!?])\s+", scene.summary) if len(s.split()) >= 3]
    return beats or [scene.summary.strip() or "The scene plays out"]


def coverage_shot(scene: Scene, cast: list[str], beat: str, k: int, seconds: float) -> Shot:
    """The ``k``-th coverage shot: reverse angle, insert or reaction, from ``beat`` (cycling)."""
    beat = beat.rstrip(".")
    kind = k % 3
    a = cast[k % len(cast)] if cast else ""
    b = cast[(k + 1) % len(cast)] if len(cast) > 1 else ""
    if kind == 0 and a and b:
        framing, who, action = Framing.over_shoulder, [a, b], f"Reverse angle over {b}'s shoulder onto {a}: {beat}"
    elif kind == 1 or not a:
        framing, who, action = Framing.extreme_close_up, [], f"Insert, a telling detail: {beat}"
    else:
        framing, who, action = Framing.close_up, [a], f"{a} reacts: {beat}"
    return Shot(scene=scene.number, framing=framing, camera_move=_MOVES[k % len(_MOVES)], duration=seconds,
                characters=who, action=action[:300])


def _split(shot: Shot) -> list[Shot]:
    """A long silent shot as two: its first beat, then a tighter angle on the rest."""
    parts = [p for p in re.split(r"(?<=[.!?;])\s+", shot.action) if p.strip()]
    first, rest = (parts[0], " ".join(parts[1:])) if len(parts) > 1 else (shot.action, f"Closer: {shot.action}")
    half = round(shot.duration / 2, 1)
    return [shot.model_copy(update={"action": first, "duration": half}),
            shot.model_copy(update={"action": rest[:300], "duration": half,
                                    "framing": _TIGHTER.get(shot.framing, Framing.medium)})]


def _fit(shots: list[Shot], seconds: float, plan: FormatPlan) -> float:
    """Scale the silent shots so the scene lasts ``seconds``; returns the scene's length."""
    silent = [s for s in shots if not s.dialogue]
    fixed = sum(s.duration for s in shots if s.dialogue)
    have = sum(s.duration for s in silent)
    if silent and have > 0:
        factor = max(seconds - fixed, 0.0) / have
        for s in silent:
            s.duration = round(min(max(s.duration * factor, MIN_SHOT_S), plan.max_shot_s), 1)
    return sum(s.duration for s in shots)


def complete_scene(shots: list[Shot], scene: Scene, cast: list[str], *, seconds: float | None,
                   plan: FormatPlan) -> tuple[list[Shot], list[str]]:
    """``shots`` completed to fill ``seconds`` (None: no target, lines only); numbered 1..n; with notes."""
    shots, notes = [s.model_copy() for s in shots], list[str]()
    if seconds is None:
        give_lines(shots, scene.dialogue)
        return _numbered(shots), notes
    want, avg = plan.shots_for(seconds), plan.average_shot_s
    planned = len(shots)
    while len(shots) < want:
        longest = max(range(len(shots)), key=lambda i: shots[i].duration, default=None)
        if longest is None or shots[longest].duration < 2 * avg:
            break
        shots[longest:longest + 1] = _split(shots[longest])
    if len(shots) > planned:
        notes.append(f"split {len(shots) - planned} long shot(s)")
    beats, added = beats_of(scene), []
    needs_wide = not any(s.framing in (Framing.wide, Framing.extreme_wide) for s in shots)
    if needs_wide and len(shots) < want:
        added.append(Shot(scene=scene.number, framing=Framing.wide, duration=avg,
                          characters=list(cast), action=f"Establishing: {beats[0]}"[:300]))
    while len(shots) + len(added) < want:
        k = len(added)
        added.append(coverage_shot(scene, cast, beats[k % len(beats)], k, avg))
    shots = _interleave(shots, added)
    give_lines(shots, scene.dialogue)
    total = _fit(shots, seconds, plan)
    while total < seconds * (1 - TOLERANCE / 3) and len(shots) < plan.max_shots_per_scene:
        k = len(added)
        added.append(coverage_shot(scene, cast, beats[k % len(beats)], k, avg))
        shots.append(added[-1])
        total = _fit(shots, seconds, plan)
    if added:
        notes.append(f"added {len(added)} coverage shot(s) (reverse angles, inserts, reactions)")
    if not seconds * (1 - TOLERANCE) <= total <= seconds * (1 + TOLERANCE):
        notes.append(f"runs {total:.0f} s of a {seconds:.0f} s target")
    return _numbered(shots), notes


def _interleave(shots: list[Shot], added: list[Shot]) -> list[Shot]:
    """The establishing wide first, then the planned shots with the coverage spread between them."""
    if not added:
        return shots
    head = [added[0]] if added[0].action.startswith("Establishing") else []
    rest = added[len(head):]
    out = list(head)
    for i, s in enumerate(shots or []):
        out.append(s)
        lo, hi = len(rest) * i // max(1, len(shots)), len(rest) * (i + 1) // max(1, len(shots))
        out.extend(rest[lo:hi])
    return out if shots else out + rest


def _numbered(shots: list[Shot]) -> list[Shot]:
    for k, s in enumerate(shots, 1):
        s.number = k
    return shots
