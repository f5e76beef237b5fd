"""Audio benchmark: Piper real-time factor, the audio share of an episode render, voice distinctness.

Pinned config (CPU, the bundled en_US-joe-medium voice, one process):

* RTF: the 8 sentences in ``LINES`` with the default voice after one warm-up line; seconds of speech per
  second of compute (pitch shift and resampling included, as the render does them).
* Audio share: the sample episode's 4 shots repeated 3 times (12 shots, 9 lines), ``preview`` preset,
  rendered twice from a cold cache in fresh projects, side by side: with speech (``tts=piper``) and silent
  (``tts=none``). Reports the speech thread's compute seconds as a share of the render's wall time, and
  the wall-time overhead of sound (with / without), which is smaller because speech runs beside frames.
* Distinctness: a cast of 4 (the sample bible + one), cast by ``cast_bible``, 3 lines each. Within: mean
  distance between one character's own lines; between: distance of each pair on the same line. Reported
  as semitones of mean pitch (YIN) and MFCC distance, with the ratio min(between) / mean(within).

Writes one JSON line per run to evals/results/audio_bench.jsonl.

    python -m evals.audio_bench
"""

from __future__ import annotations

import itertools
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from render_sample import make_project, sample_bible, sample_shots  # noqa: E402

from showrunner.config import load_settings  # noqa: E402
from showrunner.models import Character, FixedLook, Voice  # noqa: E402
from showrunner.pipelines import sound  # noqa: E402
from showrunner.pipelines.render import render_episode  # noqa: E402
from showrunner.pipelines.voiceprint import distance  # noqa: E402
from showrunner.pipelines.voices import cast_bible  # noqa: E402
from showrunner.tools.tts import SpeechJob, get_tts  # noqa: E402

LINES = ["The tide is turning, and the docks are flooding.", "Bring me the brass wrench from the workshop.",
         "Nobody leaves this city tonight.", "I heard the bells ring twice before dawn.",
         "You will fix nothing, little mechanic.", "The pumps are failing one by one.",
         "Keep the lanterns lit until the fog lifts.", "Sink, little city, sink."]


def say(tts, voice: Voice, text: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    s = tts.synthesize(SpeechJob(text, voice))
    return sound.voice_fx(s.samples, s.sample_rate, voice.pitch, voice.timbre, out_rate=sound.RATE)


def bench_rtf() -> dict[str, float]:
    tts = get_tts("piper", load_settings())
    voice = Voice(backend="piper")
    say(tts, voice, "Warm up.")
    t = time.perf_counter()
    audio = sum(len(say(tts, voice, line)) for line in LINES) / sound.RATE
    took = time.perf_counter() - t
    return {"rtf": round(audio / took, 2), "audio_s": round(audio, 2), "compute_s": round(took, 2)}


def bench_share() -> dict[str, float]:
    base = sample_shots()
    shots = [s.model_copy(update={"id": f"{s.id}-{k}"}, deep=True) for k in range(3) for s in base]
    for k, shot in enumerate(shots):  # distinct texts: equal lines would share one cache entry
        for line in shot.dialogue:
            line.text = f"{line.text} {LINES[k % len(LINES)]} Take {k}."
    out: dict[str, float] = {}
    for mode in ("piper", "none"):
        with tempfile.TemporaryDirectory() as tmp:
            project = make_project(Path(tmp) / "series", shots)
            report = render_episode(project, load_settings(project.root, tts=mode), 1)
            out[f"wall_{mode}_s"] = report.seconds
            if mode == "piper":
                out["speech_s"], out["lines"] = report.speech_seconds, report.lines_synthesized
                out["audio_s"], out["loudness_lufs"] = report.audio_seconds, report.loudness_lufs or 0.0
            out[f"cut_{mode}_s"] = round(sum(float(x.get("duration", 0)) for x in json.loads(
                Path(report.outputs["mp4"]).with_suffix(".json").read_text())["shots"]), 2)
    out["speech_share_of_render"] = round(out["speech_s"] / out["wall_piper_s"], 3)
    out["rtf_in_render"] = round(out["audio_s"] / out["speech_s"], 2)
    out["wall_overhead_of_sound"] = round(out["wall_piper_s"] / out["wall_none_s"], 2)
    return out


def bench_distinct() -> dict[str, float]:
    bible = sample_bible()
    bible.characters.append(Character(name="Old Mirren", role="lighthouse keeper",
                                      look=FixedLook(age="80s", hair="white beard")))
    cast, _ = cast_bible(bible, "piper", "", 1)
    tts = get_tts("piper", load_settings())
    texts = LINES[:3]
    clips = {(c.id, i): say(tts, c.voice, t) for c in cast.characters for i, t in enumerate(texts)}
    ids = [c.id for c in cast.characters]
    within = [distance(clips[(a, i)], clips[(a, j)], sound.RATE) for a in ids
              for i, j in itertools.combinations(range(len(texts)), 2)]
    between = [distance(clips[(a, i)], clips[(b, i)], sound.RATE) for a, b in itertools.combinations(ids, 2)
               for i in range(len(texts))]
    w_p, w_m = np.nanmean([x[0] for x in within]), np.mean([x[1] for x in within])
    pairs = {f"{a}|{b}": (round(float(np.nanmean([distance(clips[(a, i)], clips[(b, i)], sound.RATE)[0]
                                                   for i in range(len(texts))])), 2),
                          round(float(np.mean([distance(clips[(a, i)], clips[(b, i)], sound.RATE)[1]
                                               for i in range(len(texts))])), 1))
             for a, b in itertools.combinations(ids, 2)}
    return {"within_pitch_semitones": round(float(w_p), 2), "within_mfcc": round(float(w_m), 1),
            "between_pitch_semitones": round(float(np.nanmean([x[0] for x in between])), 2),
            "between_mfcc": round(float(np.mean([x[1] for x in between])), 1),
            "min_pair_mfcc_over_within": round(min(m for _, m in pairs.values()) / float(w_m), 2),
            "pairs": pairs, "voices": {c.id: [c.voice.pitch, c.voice.rate, c.voice.timbre] for c in cast.characters}}  # type: ignore[dict-item]


def main() -> None:
    result = {"ts": time.time(), "machine": platform.processor() or platform.machine(),
              "rtf": bench_rtf(), "share": bench_share(), "distinct": bench_distinct()}
    print(json.dumps(result, indent=2))
    out = ROOT / "evals" / "results" / "audio_bench.jsonl"
    with out.open("a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
