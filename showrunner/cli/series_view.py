"""Readable text for the artifact waiting at a gate (``showrunner review`` without ``--json``).

Every string from a user or a model is printed literally (see :mod:`showrunner.cli.output`); only the
headings are styled, through :class:`rich.text.Text`. :func:`next_steps` is the one place that says which
commands answer a gate, live or nightly draft, so a screen only ever suggests commands that exist and act
on the thing it shows.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from rich.text import Text

from showrunner.cli.output import lines, styled

BOLD = "bold"


def _bible(a: dict[str, Any]) -> list[str | Text]:
    out: list[str | Text] = [styled((a["title"], BOLD), f" — {a.get('logline', '')}"),
                             f"genre: {a.get('genre', '')}; tone: {a.get('tone', '')}",
                             f"style: {a.get('style_guide', '')}", "world rules:"]
    out += [f"  - {r}" for r in a.get("world_rules", [])]
    out.append("characters:")
    for c in a.get("characters", []):
        look = ", ".join(v for v in (c["look"].get("hair"), c["look"].get("eyes"), c["look"].get("build")) if v)
        out.append(f"  {c['name']} ({c.get('role', '')}): {look}; wears {c['state'].get('outfit', '')}")
    out.append("locations: " + "; ".join(x["name"] for x in a.get("locations", [])))
    out.append("episodes:")
    out += [f"  {e['number']}. {e['title']}: {e['logline']}" for e in a.get("episodes", [])]
    return out


def _script(a: dict[str, Any], pend: dict[str, Any]) -> list[str | Text]:
    out: list[str | Text] = [styled((f"Episode {a['number']}: {a['title']}", BOLD), f" — {a.get('logline', '')}")]
    out += [f"  beat: {b}" for b in a.get("beats", [])]
    for s in a.get("scenes", []):
        out.append(styled((f"Scene {s['number']}", BOLD), f" @ {s['location']} ({s.get('time_of_day') or 'day'}) "
                          f"[{', '.join(s.get('characters', []))}]"))
        out.append(f"  {s.get('summary', '')}")
        out += [f"    {d['speaker']}: {d['text']}" for d in s.get("dialogue", [])]
    crit = pend.get("critique")
    if crit:
        scores = ", ".join(f"{k} {v}" for k, v in crit["scores"].items())
        out.append(f"critic: {crit['verdict']} ({scores})")
        out += [f"  note: {n}" for n in crit.get("notes", [])]
    for i in pend.get("continuity") or []:
        out.append(f"continuity [{i['severity']}] scene {i.get('scene')}: {i['message']}")
    return out


def _storyboard(a: dict[str, Any], pend: dict[str, Any]) -> list[str | Text]:
    out: list[str | Text] = [styled((f"Storyboard, episode {a['episode']}", BOLD),
                                    f": {len(a.get('shots', []))} shots")]
    render = pend.get("render") or {}
    qa = _frame_qa(render)
    for s in a.get("shots", []):
        out.append(f"  {s['id']} {s['framing']}/{s['camera_move']} {s['duration']}s "
                   f"[{', '.join(s.get('characters', []))}] {s.get('action', '')}")
        out.append(f"      prompt: {s.get('visual_prompt', '')[:240]}")
        if s["id"] in qa:
            out.append(f"      frame QA: {qa[s['id']]}")
    if render.get("qa_notice"):
        out.append(render["qa_notice"])
    if render.get("outputs"):
        out += [f"render {kind}: {path}" for kind, path in render["outputs"].items()]
    elif render:
        out.append(f"render: {render.get('reason', 'nothing rendered')}")
    return out


def _frame_qa(render: dict[str, Any]) -> dict[str, str]:
    """Shot id -> the frame critic's one-line verdict, from a render summary."""
    from showrunner.pipelines.frame_qa import ShotQA

    return {s["id"]: ShotQA.model_validate(s["qa"]).summary() for s in render.get("shots") or []
            if isinstance(s, dict) and s.get("qa")}


def next_steps(project: Path | None = None, draft: int | None = None) -> str:
    """The commands that answer what ``review`` shows: the live gate, or nightly draft ``draft``."""
    where = f" -p {shlex.quote(str(project))}" if project is not None else ""
    if draft is None:
        return (f"approve: showrunner approve{where} | reject: showrunner reject{where} --notes '...' | "
                f"edit: showrunner edit{where}")
    return (f"approve: showrunner approve --draft {draft}{where} | reject (the next nightly redrafts it with "
            f"your notes): showrunner reject --draft {draft}{where} --notes '...' | "
            f"edit: showrunner edit --draft {draft}{where}")


def _adaptation(a: dict[str, Any]) -> list[str | Text]:
    out: list[str | Text] = [
        styled((a["title"], BOLD), f" — {a.get('logline', '')}"),
        f"{a.get('chapters', 0)} chapters, {a.get('words', 0)} words; season arc: {a.get('season_arc', '')}",
        "episodes:"]
    out += [f"  {e['number']}. {e['title']} (chapters {', '.join(map(str, e['chapters']))}): {e['logline']}"
            for e in a.get("episodes", [])]
    out.append(f"characters ({len(a.get('characters', []))}): " + "; ".join(
        c["name"] + (f" ({', '.join(c['aliases'])})" if c.get("aliases") else "") for c in a.get("characters", [])))
    out.append("places: " + "; ".join(x["name"] for x in a.get("locations", [])))
    out += [f"  merged: {m}" for m in a.get("merges", [])]
    out += [f"  fact: {f['fact']['text']} — ch {f['chapter']} @{f['offset']}: “{' '.join(f['quote'].split())}”"
            for f in a.get("facts", [])[:40]]
    out += [styled((f"finding {f['code']}", "yellow"), f": {f['message']}") for f in a.get("findings", [])]
    if a.get("dropped"):
        out.append(f"dropped {len(a['dropped'])} extracted facts (see --json)")
    return out


def describe(pend: dict[str, Any], project: Path | None = None, draft: int | None = None) -> Text:
    """The pending gate (or nightly draft ``draft``) and its artifact, with the commands that answer it."""
    gate, art = pend["gate"], pend["artifact"]
    head: list[str | Text] = []
    if draft is not None:
        head.append(styled((f"nightly draft {draft}", BOLD), f" ({(pend.get('draft') or {}).get('status')})"))
    head.append(styled("gate ", (gate, BOLD), f", episode {pend['episode']}, round {pend.get('round', 0)}"))
    if pend.get("error"):
        head.append(styled((f"last decision refused: {pend['error']}", "red")))
    views = {"adaptation": lambda: _adaptation(art), "bible": lambda: _bible(art),
             "script": lambda: _script(art, pend)}
    body = views.get(gate, lambda: _storyboard(art, pend))()
    body += [f"preview panel {sid}: {path}" for sid, path in (pend.get("panels") or {}).items()]
    body += [f"reference {r['kind']} {r['entity']}{' (' + r['variant'] + ')' if r['variant'] else ''}: {r['path']}"
             for r in pend.get("references") or []]
    body += [f"voice sample {cid}: {path}" for cid, path in (pend.get("voice_samples") or {}).items()]
    tail: list[str | Text] = [f"proposal: {p}" for p in pend.get("proposals") or []]
    return lines([*head, *body, *tail, next_steps(project, draft)])
