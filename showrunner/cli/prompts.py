"""``showrunner prompts``: list shipped prompt templates and render one (checks package data)."""

from __future__ import annotations

from typing import Annotated

import typer

from showrunner import prompts as prompt_lib
from showrunner.cli.common import JsonOpt, emit
from showrunner.errors import BadInput

group = typer.Typer(help="Inspect the versioned prompt templates shipped with the package.", no_args_is_help=True)


@group.command("list")
def list_prompts(as_json: JsonOpt = False) -> None:
    """List prompt ids and their shipped versions."""
    shipped = prompt_lib.available()
    emit(shipped, as_json, "\n".join(f"{k}  v{', v'.join(map(str, v))}" for k, v in shipped.items()))


@group.command("render")
def render_prompt(
    prompt_id: Annotated[str, typer.Argument(help="Prompt id, e.g. writer/bible.")],
    var: Annotated[list[str] | None, typer.Option("--var", help="name=value (repeatable); JSON values allowed.")]
    = None,
    version: Annotated[int | None, typer.Option(help="Version to render (default: latest).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Render a prompt with the given variables; a missing variable is an error."""
    import json

    import jinja2

    values: dict[str, object] = {}
    for item in var or []:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise BadInput(f"--var expects name=value, got {item!r}")
        try:
            values[name] = json.loads(raw)
        except ValueError:
            values[name] = raw
    try:
        prompt = prompt_lib.render(prompt_id, version, **values)
    except KeyError as exc:
        raise BadInput(str(exc.args[0])) from exc
    except jinja2.UndefinedError as exc:
        raise BadInput(f"prompt {prompt_id!r} needs a variable: {exc.message}; pass it with --var") from exc
    data = {"id": prompt.id, "version": prompt.version,
            "messages": [m.as_dict() for m in prompt.messages]}
    emit(data, as_json, "\n\n".join(f"[{m.role}]\n{m.content}" for m in prompt.messages))


def register(app: typer.Typer) -> None:
    """Add the ``prompts`` group."""
    app.add_typer(group, name="prompts")
