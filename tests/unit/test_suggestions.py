"""Every command a screen or message suggests exists, takes the options it is shown with, and acts on what is shown."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from showrunner.cli import main as cli_main
from showrunner.cli.series_view import describe, next_steps
from showrunner.pipelines.report import markdown

PACKAGE = Path(__file__).resolve().parents[2] / "showrunner"
SUGGESTION = re.compile(r"showrunner ((?:[a-z][\w-]*)(?: +[^|'`\n]*)?)")


@pytest.fixture(scope="module")
def app() -> Any:
    """The click group typer builds (typer vendors its own click, so it is matched by shape)."""
    cli_main._register()
    cmd = typer.main.get_command(cli_main.app)
    assert hasattr(cmd, "commands")
    return cmd


def resolve(app: Any, suggestion: str) -> tuple[Any, dict[str, Any]]:
    """The command a suggestion runs and the options it passes; fails when either does not exist."""
    words = shlex.split(suggestion.replace("...", "x"))
    cmd = app
    while hasattr(cmd, "commands") and words and not words[0].startswith("-"):
        sub = cmd.commands.get(words[0])
        assert sub is not None, f"'showrunner {suggestion}': no command {words[0]!r}"
        cmd, words = sub, words[1:]
    assert not hasattr(cmd, "commands"), f"'showrunner {suggestion}' names a group, not a command"
    known = {o for p in cmd.params for o in p.opts}
    for w in words:
        if w.startswith("-"):
            assert w.split("=")[0] in known, f"'showrunner {suggestion}': {cmd.name} has no option {w}"
    ctx = cmd.make_context(cmd.name, [w for w in words if w != "X"], resilient_parsing=True)
    return cmd, ctx.params


def suggestions(text: str) -> list[str]:
    return [m.group(1).strip() for m in SUGGESTION.finditer(text)]


def _literal_strings() -> list[str]:
    """Every string literal in the package except docstrings; f-string placeholders read as 'X'."""
    out = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef) and n.body
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                out.append("".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                out.append(node.value)
    return out


def test_every_quoted_command_in_the_package_exists(app: Any) -> None:
    quoted = [s for text in _literal_strings() for s in re.findall(r"['`](showrunner [a-z][^'`]*)['`]", text)]
    assert len(quoted) > 15
    for q in quoted:
        for one in suggestions(q):
            resolve(app, one)


GATES = {"bible": {"title": "T", "logline": "L", "characters": [], "locations": [], "episodes": []},
         "script": {"number": 2, "title": "T", "scenes": []},
         "storyboard": {"episode": 2, "shots": []}, "final": {"episode": 2, "shots": []}}


@pytest.mark.parametrize("gate", list(GATES))
def test_review_screens_suggest_commands_that_act_on_what_they_show(app: Any, gate: str,
                                                                    tmp_path: Path) -> None:
    pend = {"gate": gate, "episode": 2, "artifact": GATES[gate], "draft": {"status": "waiting"}}
    live = suggestions(describe(pend, tmp_path).plain)
    assert [s.split()[0] for s in live] == ["approve", "reject", "edit"]
    for s in live:
        cmd, params = resolve(app, s)
        assert params["project"] == tmp_path and params.get("draft") is None
    drafted = suggestions(describe(pend, tmp_path, draft=2).plain)
    assert [s.split()[0] for s in drafted] == ["approve", "reject", "edit"]
    for s in drafted:
        cmd, params = resolve(app, s)
        assert params["draft"] == 2 and params["project"] == tmp_path, s
    assert next_steps(tmp_path, 2) in describe(pend, tmp_path, draft=2).plain


def test_the_morning_report_suggests_draft_commands(app: Any) -> None:
    night = {"night": "n", "episodes": [{"episode": 3, "status": "waiting", "gate": "final"}]}
    found = suggestions(markdown(night))
    assert found and all(resolve(app, s)[1]["draft"] == 3 for s in found)
