"""Dialogue audio with the real Piper voice: voices in canon, the speech cache, timing, the mix, the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest
from render_sample import make_project, sample_bible, sample_shots
from test_render import run_cli

from showrunner.config import load_settings
from showrunner.errors import BadInput
from showrunner.memory.canon import Canon
from showrunner.models import Character, DialogueLine, Voice
from showrunner.pipelines import sound
from showrunner.pipelines.timing import Span, mark_of, plan
from showrunner.pipelines.voiceprint import distance
from showrunner.pipelines.voices import cast_bible
from showrunner.tools.tts import SpeechJob, get_tts


def _audio_of(mp4: Path) -> tuple[np.ndarray, float, float]:
    """Mono float32 48 kHz samples of the mp4's audio stream, its duration and the video's."""
    with av.open(str(mp4)) as c:
        a, v = c.streams.audio[0], c.streams.video[0]
        assert a.codec_context.name == "aac"
        adur, vdur = float(a.duration * a.time_base), float(v.duration * v.time_base)
    raw = subprocess.run([sound.ffmpeg(), "-v", "error", "-i", str(mp4), "-map", "0:a", "-f", "f32le", "-ac", "1",
                          "-ar", "48000", "pipe:1"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<f4"), adur, vdur


def test_old_free_text_voice_loads_as_note_and_llm_never_sees_the_cast(tmp_path: Path) -> None:
    c = Character.model_validate({"name": "Maren", "voice": "low, dry, never hurried"})
    assert c.voice == Voice(note="low, dry, never hurried") and not c.voice.cast
    canon = Canon(tmp_path)
    (tmp_path / "characters").mkdir()
    (tmp_path / "characters" / "maren.json").write_text(json.dumps({"name": "Maren", "voice": "husky"}))
    assert canon.characters()[0].voice.note == "husky"
    schema = json.dumps(Character.model_json_schema())
    assert '"note"' in schema and '"pitch"' not in schema and '"set_by"' not in schema


def test_casting_is_distinct_deterministic_and_keeps_a_persons_choice() -> None:
    bible = sample_bible()
    cast, narrator = cast_bible(bible, "piper", "", 1)
    voices = [c.voice for c in cast.characters] + [narrator]
    assert len({(v.pitch, v.rate, v.speaker) for v in voices}) == len(voices) == 4
    assert all(v.set_by == "system" and v.backend == "piper" for v in voices)
    assert cast_bible(bible, "piper", "", 1) == (cast, narrator)  # same bible, same voices
    by = {c.id: c.voice for c in cast.characters}
    assert by["ada-quill"].pitch > 0 > by["captain-vell"].pitch  # 'teen' reads higher, '60s' lower
    mine = Voice(backend="piper", pitch=-2.0, rate=1.2, set_by="person")
    drafted = bible.model_copy(update={"characters": [
        bible.characters[0].model_copy(update={"voice": mine}),
        bible.characters[1].model_copy(update={"voice": Voice(backend="piper", pitch=9.0, set_by="system")})]})
    again, _ = cast_bible(drafted, "piper", "", 1)
    assert again.characters[0].voice == mine and again.characters[1].voice.pitch != 9.0
    multi, _ = cast_bible(bible, "piper", "", 4)  # a multi-speaker model: its own speakers, unaltered
    assert sorted(c.voice.speaker or 0 for c in multi.characters) == [1, 2, 3]
    assert all(c.voice.pitch == 0.0 for c in multi.characters)


def test_timing_follows_speech_and_marks_heard_lines() -> None:
    shots = sample_shots()
    silent = plan(shots, 12)
    assert [d for _, d in silent.shots.values()] == [2.0, 1.5, 1.5, 1.0]
    speech = {("s01-02", 0): 0.6, ("s02-01", 0): 2.4, ("s03-01", 0): 0.3}
    t = plan(shots, 12, speech)
    assert t.duration("s01-02") == 1.5  # planned is longer than 0.25 + 0.6 + 0.5
    assert t.duration("s02-01") == pytest.approx(38 / 12)  # 0.25 + 2.4 + 0.5 = 3.15 s -> 38 frames
    line = t.lines[1]
    assert (line.start, line.end) == (pytest.approx(3.5 + 0.25), pytest.approx(3.5 + 0.25 + 2.4))
    assert mark_of(DialogueLine(speaker="Ada (V.O.)", text="x")) == "V.O."
    assert mark_of(DialogueLine(speaker="Vell", text="x", direction="O.S., shouting")) == "O.S."
    assert mark_of(DialogueLine(speaker="Vell", text="x", direction="over the radio")) == "recording"
    assert mark_of(DialogueLine(speaker="Vell", text="x", direction="cold")) == ""
    assert mark_of(DialogueLine(speaker="Vell", text="x", direction="in a dream")) == "V.O."
    assert Span("s", 0, 0, 1, "Ada (V.O.)", "Hi", "V.O.").label == "ADA (V.O.): Hi"


def test_two_characters_sound_measurably_different() -> None:
    cast, _ = cast_bible(sample_bible(), "piper", "", 1)
    ada, vell = (next(c.voice for c in cast.characters if c.id == i) for i in ("ada-quill", "captain-vell"))
    tts = get_tts("piper", load_settings())

    def say(v: Voice, text: str) -> np.ndarray:
        s = tts.synthesize(SpeechJob(text, v))
        return sound.voice_fx(s.samples, s.sample_rate, v.pitch, v.timbre, out_rate=sound.RATE)

    a1, a2 = say(ada, "The tide is turning, and the docks are flooding."), say(ada, "Nobody leaves this city.")
    v1 = say(vell, "The tide is turning, and the docks are flooding.")
    within_pitch, within_mfcc = distance(a1, a2, sound.RATE)
    between_pitch, between_mfcc = distance(a1, v1, sound.RATE)
    assert between_pitch > 4 and between_pitch > 2 * within_pitch  # cast 10 semitones apart
    assert between_mfcc > 2 * within_mfcc


def test_render_speaks_every_line_once_and_mixes_to_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    shots = sample_shots()
    shots[2].dialogue[0].direction = "cold, O.S."
    project = make_project(tmp_path / "series", shots)
    p = str(project.root)
    code, out, err = run_cli(capsys, "render", "--episode", "1", "--json", "-p", p)
    assert code == 0, err
    report = json.loads(out)
    assert (report["lines_synthesized"], report["lines_reused"]) == (3, 0)
    outputs = {k: Path(v) for k, v in report["outputs"].items()}
    samples, adur, vdur = _audio_of(outputs["mp4"])
    assert abs(adur - vdur) < 0.1
    assert abs(sound.loudness(samples) - 3.01 - report["loudness_lufs"]) < 0.5  # the file as measured (stereo)
    assert abs(report["loudness_lufs"] - (-14.0)) <= 1.0

    timeline = otio.adapters.read_from_file(str(outputs["otio"]))
    audio = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio)
    clips = list(audio.find_clips())
    assert [c.metadata["showrunner"]["speaker"] for c in clips] == ["Ada Quill", "Captain Vell", "Captain Vell"]
    assert clips[1].metadata["showrunner"]["mark"] == "O.S."
    spans = [(c.metadata["showrunner"]["start"], c.metadata["showrunner"]["end"]) for c in clips]
    dialogue = np.concatenate([samples[round(a * 48000):round(b * 48000)] for a, b in spans])
    assert 20 * np.log10(np.sqrt(np.mean(dialogue.astype(np.float64) ** 2))) > -35  # not silent where spoken
    srt = outputs["srt"].read_text()
    assert "CAPTAIN VELL (O.S.): You will fix nothing." in srt
    ms = round(spans[0][0] * 1000)
    assert f"00:00:{ms // 1000:02d},{ms % 1000:03d} -->" in srt  # the cue starts on the line's audio
    code, out, _ = run_cli(capsys, "verify", str(outputs["stem_mix"]), "--json")
    assert code == 0 and json.loads(out)["valid"]
    tts = [r for r in map(json.loads, project.ledger.read_text().splitlines()) if r.get("stage") == "tts"]
    assert len(tts) == 3 and all(r["backend"] == "piper" and r["audio_seconds"] > 0.2 for r in tts)

    code, out, _ = run_cli(capsys, "render", "--episode", "1", "--json", "-p", p)
    again = json.loads(out)
    assert (again["lines_synthesized"], again["lines_reused"], again["cut_rendered"]) == (0, 3, False)

    canon = Canon(project.canon_dir)
    board = canon.storyboard(1)
    assert board is not None
    board[3].dialogue[0].text = "Sink, little city, sink."
    canon.save_storyboard(1, board)
    code, out, _ = run_cli(capsys, "render", "--episode", "1", "--json", "-p", p)
    edited = json.loads(out)
    assert (edited["lines_synthesized"], edited["lines_reused"], edited["cut_rendered"]) == (1, 2, True)

    code, out, _ = run_cli(capsys, "voice", "list", "--json", "-p", p)
    before = json.loads(out)
    code, out, err = run_cli(capsys, "voice", "set", "Captain Vell", "--pitch", "-3", "--rate", "0.92", "--timbre",
                             "-0.6", "--json", "-p", p)  # Bruno's slot: nobody else may move
    assert code == 0, err
    assert json.loads(out)["voice"]["set_by"] == "person"
    code, out, _ = run_cli(capsys, "voice", "list", "--json", "-p", p)
    after = json.loads(out)
    assert after["captain-vell"]["pitch"] == -3.0 and before["bruno"] == after["bruno"]
    assert {k: v for k, v in before.items() if k != "captain-vell"} == {k: v for k, v in after.items()
                                                                        if k != "captain-vell"}
    code, out, _ = run_cli(capsys, "render", "--episode", "1", "--json", "-p", p)
    assert (json.loads(out)["lines_synthesized"], json.loads(out)["lines_reused"]) == (2, 1)  # only Vell's lines

    from showrunner.tools.tts_piper import default_model

    code, out, err = run_cli(capsys, "voice", "set", "bruno", "--model", str(default_model()), "--json", "-p", p)
    assert code == 0 and json.loads(out)["voice"]["model"] == str(default_model())  # any Piper voice by path
    for bad, needle in ((["nobody", "--pitch", "1"], "no character 'nobody'"),
                        (["ada", "--model", str(tmp_path / "x.onnx")], "not found"),
                        (["ada", "--rate", "5"], "invalid voice rate")):
        code, _, err = run_cli(capsys, "voice", "set", *bad, "-p", p)
        assert code == 2 and needle in err and err.count("\n") == 1


def test_unknown_speech_backend_lists_valid_names() -> None:
    with pytest.raises(BadInput, match=r"unknown speech backend 'espeak'; valid: openai, piper"):
        get_tts("espeak", load_settings())


def test_bed_is_ducked_under_dialogue_and_broadcast_target_is_met(tmp_path: Path) -> None:
    from showrunner.pipelines.mix import mix_episode, timed_mean_db
    from showrunner.pipelines.speech import LineAudio, SpeechResult

    rng = np.random.default_rng(0)
    t = np.arange(int(1.2 * sound.RATE)) / sound.RATE
    tone = (0.4 * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    speech = SpeechResult()
    for sid in ("s01-02", "s02-01", "s03-01"):
        path = tmp_path / f"{sid}.wav"
        path.write_bytes(sound.wav_bytes(tone, sound.RATE))
        speech.lines[(sid, 0)] = LineAudio(sid, 0, "x", {}, sid, path, 1.2, "reused")
    bed = tmp_path / "bed.wav"
    bed.write_bytes(sound.wav_bytes((0.2 * rng.standard_normal(sound.RATE * 2)).astype(np.float32), sound.RATE))
    timeline = plan(sample_shots(), 12, speech.durations())
    mix = mix_episode(timeline, speech, target=-23.0, bed_path=bed)
    assert abs(mix.loudness - (-23.0)) <= 1.0 and abs(sound.loudness(mix.mix) - (-23.0)) <= 1.0
    assert len(mix.mix) == round(timeline.seconds * sound.RATE) and mix.bed is not None
    first = timeline.lines[0]
    quiet = mix.bed[:round(first.start * sound.RATE)]  # before anyone speaks (the first shot has no lines)
    under = mix.bed[round(first.start * sound.RATE) + 4800:round(first.end * sound.RATE)]
    db = [20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2))) for x in (quiet, under)]
    assert db[1] < db[0] - 6  # ducked by more than 6 dB while a line plays
    assert timed_mean_db(mix.mix, timeline) > -35
    with pytest.raises(BadInput, match="not found"):
        mix_episode(timeline, speech, target=-14.0, bed_path=tmp_path / "missing.mp3")


def test_bible_gate_samples_one_playable_line_per_voice(tmp_path: Path) -> None:
    from showrunner.pipelines.voices import read_narrator, write_narrator, write_samples

    settings = load_settings()
    paths = write_samples(tmp_path, settings, sample_bible())
    assert sorted(paths) == ["ada-quill", "bruno", "captain-vell", "narrator"]
    clips = {k: sound.read_wav(Path(v)) for k, v in paths.items()}
    assert all(rate == 22050 and 0.5 < len(x) / rate < 10 for x, rate in clips.values())
    _, narrator = cast_bible(sample_bible(), "piper", "", 1)
    assert (narrator.pitch, narrator.rate, narrator.timbre) == (0.0, 1.0, 0.0)  # the voice as the model made it
    write_narrator(tmp_path, narrator)
    assert read_narrator(tmp_path) == narrator


def test_an_episode_without_lines_still_has_a_track_and_its_bed(tmp_path: Path) -> None:
    from showrunner.pipelines.render import render_episode

    shots = sample_shots()
    for shot in shots:
        shot.dialogue = []
    project = make_project(tmp_path / "series", shots)
    report = render_episode(project, load_settings(project.root), 1)
    samples, adur, vdur = _audio_of(Path(report.outputs["mp4"]))
    assert report.lines_synthesized == 0 and report.loudness_lufs is None and abs(adur - vdur) < 0.1
    assert float(np.max(np.abs(samples))) < 1e-3  # silence, not noise
    bed = tmp_path / "bed.wav"
    bed.write_bytes(sound.wav_bytes((0.1 * np.sin(2 * np.pi * 330 * np.arange(48000) / 48000)).astype(np.float32),
                                    48000))
    report = render_episode(project, load_settings(project.root), 1, bed=str(bed))
    assert report.cut_rendered and "stem_bed" in report.outputs and abs(report.loudness_lufs + 14.0) <= 1.0
