"""``showrunner voice list|set``: the cast's voices in canon, changed only by a person.

Commands parse arguments and call :mod:`showrunner.pipelines.voices`; a change takes effect at the next
``render``, which re-synthesises only that character's lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from showrunner.cli.common import JsonOpt, ProjectOpt, emit

voice_app = typer.Typer(help="Who sounds how: the voices cast in canon.", no_args_is_help=True)


def _describe(v: dict[str, object]) -> str:
    model = v.get("model") or "default model"
    speaker = f", speaker {v['speaker']}" if v.get("speaker") is not None else ""
    return (f"{v.get('backend')} ({model}{speaker}), rate {v.get('rate')}, pitch {v.get('pitch'):+}, "  # type: ignore[str-format]
            f"timbre {v.get('timbre'):+}"  # type: ignore[str-format]
            f"{' [set by a person]' if v.get('set_by') == 'person' else ''}")


@voice_app.command("list")
def list_cmd(project: ProjectOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Every character's voice and the narrator's."""
    from showrunner.config import load_settings
    from showrunner.pipelines.project import Project
    from showrunner.pipelines.voices import canon_voices

    proj = Project.open(project)
    cast, narrator = canon_voices(proj, load_settings(proj.root))
    data = {"narrator": narrator.model_dump(mode="json"), **{c.id: c.voice.model_dump(mode="json") for c in cast}}
    emit(data, as_json, "\n".join(f"{k}: {_describe(v)}" for k, v in data.items()))


@voice_app.command("set")
def set_cmd(
    character: Annotated[str, typer.Argument(help="Character name, alias or id, or 'narrator'.")],
    backend: Annotated[str | None, typer.Option("--backend", help="Speech backend: piper or openai.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Piper .onnx path ('' = bundled voice) or "
                                                              "OpenAI TTS model.")] = None,
    speaker: Annotated[int | None, typer.Option("--speaker", min=0, help="Speaker of a multi-speaker model.")]
    = None,
    rate: Annotated[float | None, typer.Option("--rate", help="Speaking rate, 0.5-2.0 (1 = normal).")] = None,
    pitch: Annotated[float | None, typer.Option("--pitch", help="Pitch shift in semitones, -12..12.")] = None,
    timbre: Annotated[float | None, typer.Option("--timbre", help="-1 darker .. +1 brighter.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="How the character speaks (free text).")] = None,
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Change one voice in canon; the next render re-synthesises only that character's lines."""
    from showrunner.config import load_settings
    from showrunner.pipelines.project import Project
    from showrunner.pipelines.voices import set_voice

    proj = Project.open(project)
    with proj.lock("voice set"):
        cid, voice = set_voice(proj, load_settings(proj.root), character, backend=backend, model=model,
                               speaker=speaker, rate=rate, pitch=pitch, timbre=timbre,
                               note=note)
    data = voice.model_dump(mode="json")
    emit({"character": cid, "voice": data}, as_json, f"{cid}: {_describe(data)}")


def register(app: typer.Typer) -> None:
    """Add ``voice`` to ``app``."""
    app.add_typer(voice_app, name="voice")
