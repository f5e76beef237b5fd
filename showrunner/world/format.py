"""A series' episode format and the plan it implies: the one pure derivation, no I/O, no LLM.

A format is a target episode length (``--episode-length 90s``, ``7m``, ``1m30s``, or a preset:
``social`` ≈ 60–120 s, ``broadcast`` ≈ 7 min). :func:`plan_episode` turns it, the style guide's average
shot length and the provider's :class:`Limits` into an :class:`FormatPlan`: how many scenes the writer
writes, how many dialogue lines per scene, how many shots the director plans per scene, and how many
tokens of canon memory each prompt may carry.

Limits are per provider (:data:`PROVIDER_LIMITS`, overridable in settings): the embedded 135M model
keeps small episodes (at most 4 scenes × 3 shots), a real model gets real ones. A format the limits
cannot reach is clamped (``clamped`` says so) rather than asking a model for more than it can give.
The memory budget follows the model's context window and leaves room for the reply the format asks for.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from showrunner.errors import BadInput

TOLERANCE = 0.15  # the cut lands within ±15% of the target
AVERAGE_SHOT_S = 4.0  # the style guide's default average shot length
SCENE_S = 50.0  # a scene runs about this long
LINE_S = 4.0  # one spoken line of about ten words
DIALOGUE_SHARE = 0.4  # the share of a scene's time that carries dialogue
MIN_SHOT_S = 1.5
MIN_LENGTH_S, MAX_LENGTH_S = 10.0, 3600.0
PROMPT_TOKENS = 800  # template, bible header and outline of the largest call (the script)
SCENE_TOKENS, LINE_TOKENS = 60, 25  # reply tokens per scene summary and per dialogue line
MIN_MEMORY, MAX_MEMORY = 200, 4000


@dataclass(frozen=True)
class EpisodeFormat:
    """What a series' episodes run: the target and the accepted range, in seconds."""

    name: str
    target_s: float
    min_s: float
    max_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> EpisodeFormat | None:
        """The format stored with a series (``project.json``), or None for a series without one."""
        if not data:
            return None
        return cls(str(data["name"]), float(data["target_s"]), float(data["min_s"]), float(data["max_s"]))

    def describe(self) -> str:
        return f"{self.name}: {clock(self.target_s)} ({clock(self.min_s)}–{clock(self.max_s)})"


def custom(seconds: float, name: str = "custom") -> EpisodeFormat:
    return EpisodeFormat(name, seconds, round(seconds * (1 - TOLERANCE), 1), round(seconds * (1 + TOLERANCE), 1))


PRESETS: dict[str, EpisodeFormat] = {"social": EpisodeFormat("social", 90.0, 60.0, 120.0),
                                     "broadcast": custom(420.0, "broadcast")}
_LENGTH = re.compile(r"^(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m(?:in)?)?\s*(?:(\d+(?:\.\d+)?)\s*s(?:ec)?)?$")
_CLOCK = re.compile(r"^(\d+):([0-5]\d)$")


def clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


def parse_length(text: str) -> EpisodeFormat:
    """``--episode-length``: a preset (social, broadcast) or a length (90s, 7m, 1m30s, 1:30, 420)."""
    raw = " ".join(str(text).split()).lower()
    if raw in PRESETS:
        return PRESETS[raw]
    seconds: float | None = None
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        seconds = float(raw)
    elif m := _CLOCK.match(raw):
        seconds = int(m[1]) * 60 + int(m[2])
    elif raw and (m := _LENGTH.match(raw)) and any(m.groups()):
        h, mi, s = (float(g) if g else 0.0 for g in m.groups())
        seconds = h * 3600 + mi * 60 + s
    if seconds is None:
        raise BadInput(f"--episode-length {text!r} is not a length; use e.g. 90s, 7m, 1m30s, social or broadcast")
    if not MIN_LENGTH_S <= seconds <= MAX_LENGTH_S:
        raise BadInput(f"--episode-length {text!r} is {clock(seconds)}; give {clock(MIN_LENGTH_S)} to "
                       f"{clock(MAX_LENGTH_S)}")
    return custom(seconds)


@dataclass(frozen=True)
class Limits:
    """What one provider's model can be asked for; settings override each field."""

    context_window: int
    max_scenes: int
    max_shots_per_scene: int
    max_lines_per_scene: int
    max_shot_s: float = 12.0
    default_length: str | None = None  # the format of a new series when none is given


SMALL = Limits(context_window=8192, max_scenes=4, max_shots_per_scene=3, max_lines_per_scene=3)
PROVIDER_LIMITS: dict[str, Limits] = {
    "local": SMALL,  # SmolLM2-135M: 8k context, small schemas it can fill
    "openai": Limits(context_window=128_000, max_scenes=16, max_shots_per_scene=24, max_lines_per_scene=12,
                     default_length="social"),
    # the test double stands in for a real model; its window is the small one so budgets stay test-sized
    "scripted": Limits(context_window=8192, max_scenes=16, max_shots_per_scene=24, max_lines_per_scene=12),
}


def limits_for(provider: str, **overrides: Any) -> Limits:
    """The provider's limits with every non-None override (from settings) applied."""
    base = PROVIDER_LIMITS.get(provider, SMALL)
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class FormatPlan:
    """What the writer and director are asked for, derived from the format (``target_s`` None: no format)."""

    target_s: float | None
    min_s: float | None
    max_s: float | None
    min_scenes: int
    max_scenes: int
    lines_per_scene: int
    max_lines_per_scene: int
    beats: int
    shots_per_scene: int
    max_shots_per_scene: int
    average_shot_s: float
    max_shot_s: float
    memory_tokens: int
    clamped: bool = False

    @property
    def script_chars(self) -> int:
        """How much of a script the revise, critic and fact prompts show (room for every scene and line)."""
        return max(2400, self.max_scenes * (150 + self.lines_per_scene * 90))

    def scene_seconds(self, scenes: int) -> float | None:
        """One scene's share of the target when the script has ``scenes`` scenes."""
        return None if self.target_s is None else self.target_s / max(1, scenes)

    def shots_for(self, seconds: float | None) -> int:
        """Shots that fill ``seconds`` at the average shot length (within the limit)."""
        if seconds is None:
            return self.shots_per_scene
        return max(1, min(self.max_shots_per_scene, round(seconds / self.average_shot_s)))


def _clamp(x: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, x))


def _reply(scenes: int, lines: int) -> int:
    """Tokens of the script reply for ``scenes`` scenes of ``lines`` lines."""
    return scenes * (SCENE_TOKENS + lines * LINE_TOKENS)


def memory_budget(limits: Limits, scenes: int, lines: int) -> int:
    """Tokens of canon per prompt: a 16th of the window, leaving half of it for the prompt and the reply."""
    room = limits.context_window // 2 - PROMPT_TOKENS - _reply(scenes, lines)
    return max(MIN_MEMORY, min(limits.context_window // 16, MAX_MEMORY, room))


def plan_episode(fmt: EpisodeFormat | None, limits: Limits, *, average_shot_s: float = AVERAGE_SHOT_S,
                 memory_tokens: int | None = None) -> FormatPlan:
    """The plan for one episode of ``fmt`` under ``limits`` (None: a series without a format)."""
    avg = min(max(float(average_shot_s), 1.0), limits.max_shot_s)
    if fmt is None:  # no target: the small shape every series had before formats
        scenes, shots = min(4, limits.max_scenes), min(3, limits.max_shots_per_scene)
        lines = min(3, limits.max_lines_per_scene)
        return FormatPlan(None, None, None, min(2, scenes), scenes, lines, lines, 5, shots, shots, avg,
                          limits.max_shot_s, memory_tokens or memory_budget(limits, scenes, lines))
    scenes = _clamp(round(fmt.target_s / SCENE_S), 2, limits.max_scenes)
    lines = _clamp(round(fmt.target_s / scenes * DIALOGUE_SHARE / LINE_S), 1, limits.max_lines_per_scene)
    room = limits.context_window // 2 - PROMPT_TOKENS - MIN_MEMORY  # the script's reply must fit the window
    while _reply(scenes, lines) > room and lines > 1:
        lines -= 1
    while _reply(scenes, lines) > room and scenes > 2:
        scenes -= 1
    shots = _clamp(round(fmt.target_s / scenes / avg), 1, limits.max_shots_per_scene)
    target = min(fmt.target_s, scenes * shots * avg)  # what the limits reach
    clamped = target < fmt.target_s * (1 - TOLERANCE)
    if not clamped:
        target = fmt.target_s
    lo, hi = (fmt.min_s, fmt.max_s) if not clamped else (target * (1 - TOLERANCE), target * (1 + TOLERANCE))
    lines = min(lines, _clamp(round(target / scenes * DIALOGUE_SHARE / LINE_S), 1, limits.max_lines_per_scene))
    return FormatPlan(target, lo, hi, scenes, scenes, lines, limits.max_lines_per_scene, _clamp(scenes, 3, 12),
                      shots, limits.max_shots_per_scene, avg, limits.max_shot_s,
                      memory_tokens or memory_budget(limits, scenes, lines), clamped)
