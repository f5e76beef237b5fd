"""Readable text for the artifact waiting at a gate (``showrunner review`` without ``--json``)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape


def _bible(a: dict[str, Any]) -> list[str]:
    out = [f"[bold]{escape(a['title'])}[/] — {escape(a.get('logline', ''))}",
           f"genre: {escape(a.get('genre', ''))}; tone: {escape(a.get('tone', ''))}",
           f"style: {escape(a.get('style_guide', ''))}", "world rules:"]
    out += [f"  - {escape(r)}" for r in a.get("world_rules", [])]
    out.append("characters:")
    for c in a.get("characters", []):
        look = ", ".join(v for v in (c["look"].get("hair"), c["look"].get("eyes"), c["look"].get("build")) if v)
        out.append(f"  {escape(c['name'])} ({escape(c.get('role', ''))}): {escape(look)}; "
                   f"wears {escape(c['state'].get('outfit', ''))}")
    out.append("locations: " + "; ".join(escape(x["name"]) for x in a.get("locations", [])))
    out.append("episodes:")
    out += [f"  {e['number']}. {escape(e['title'])}: {escape(e['logline'])}" for e in a.get("episodes", [])]
    return out


def _script(a: dict[str, Any], pend: dict[str, Any]) -> list[str]:
    out = [f"[bold]Episode {a['number']}: {escape(a['title'])}[/] — {escape(a.get('logline', ''))}"]
    out += [f"  beat: {escape(b)}" for b in a.get("beats", [])]
    for s in a.get("scenes", []):
        out.append(f"[bold]Scene {s['number']}[/] @ {escape(s['location'])} ({s.get('time_of_day') or 'day'}) "
                   f"[{', '.join(escape(c) for c in s.get('characters', []))}]")
        out.append(f"  {escape(s.get('summary', ''))}")
        out += [f"    {escape(d['speaker'])}: {escape(d['text'])}" for d in s.get("dialogue", [])]
    crit = pend.get("critique")
    if crit:
        scores = ", ".join(f"{k} {v}" for k, v in crit["scores"].items())
        out.append(f"critic: {crit['verdict']} ({scores})")
        out += [f"  note: {escape(n)}" for n in crit.get("notes", [])]
    for i in pend.get("continuity") or []:
        out.append(f"continuity [{i['severity']}] scene {i.get('scene')}: {escape(i['message'])}")
    return out


def _storyboard(a: dict[str, Any], pend: dict[str, Any]) -> list[str]:
    out = [f"[bold]Storyboard, episode {a['episode']}[/]: {len(a.get('shots', []))} shots"]
    for s in a.get("shots", []):
        out.append(f"  {s['id']} {s['framing']}/{s['camera_move']} {s['duration']}s "
                   f"[{', '.join(s.get('characters', []))}] {escape(s.get('action', ''))}")
        out.append(f"      prompt: {escape(s.get('visual_prompt', ''))[:240]}")
    render = pend.get("render") or {}
    if render.get("outputs"):
        out += [f"render {kind}: {escape(path)}" for kind, path in render["outputs"].items()]
    elif render:
        out.append(f"render: {escape(str(render.get('reason', 'nothing rendered')))}")
    return out


def _adaptation(a: dict[str, Any]) -> list[str]:
    out = [f"[bold]{escape(a['title'])}[/] — {escape(a.get('logline', ''))}",
           f"{a.get('chapters', 0)} chapters, {a.get('words', 0)} words; season arc: {escape(a.get('season_arc', ''))}",
           "episodes:"]
    out += [f"  {e['number']}. {escape(e['title'])} (chapters {', '.join(map(str, e['chapters']))}): "
            f"{escape(e['logline'])}" for e in a.get("episodes", [])]
    out.append(f"characters ({len(a.get('characters', []))}): " + "; ".join(
        escape(c["name"]) + (f" ({escape(', '.join(c['aliases']))})" if c.get("aliases") else "")
        for c in a.get("characters", [])))
    out.append("places: " + "; ".join(escape(x["name"]) for x in a.get("locations", [])))
    out += [f"  merged: {escape(m)}" for m in a.get("merges", [])]
    out += [f"  fact: {escape(f['fact']['text'])} — ch {f['chapter']} @{f['offset']}: "
            f"“{escape(' '.join(f['quote'].split()))}”" for f in a.get("facts", [])[:40]]
    out += [f"[yellow]finding {escape(f['code'])}[/]: {escape(f['message'])}" for f in a.get("findings", [])]
    if a.get("dropped"):
        out.append(f"dropped {len(a['dropped'])} extracted facts (see --json)")
    return out


def describe(pend: dict[str, Any]) -> str:
    """The pending gate and its artifact as rich-markup text."""
    gate, art = pend["gate"], pend["artifact"]
    head = f"gate [bold]{gate}[/], episode {pend['episode']}, round {pend.get('round', 0)}"
    if pend.get("error"):
        head += f"\n[red]last decision refused: {escape(pend['error'])}[/]"
    views = {"adaptation": lambda: _adaptation(art), "bible": lambda: _bible(art), "script": lambda: _script(art, pend)}
    body = views.get(gate, lambda: _storyboard(art, pend))()
    body += [f"reference sheet {escape(cid)}: {escape(path)}" for cid, path in
             (pend.get("reference_sheets") or {}).items()]
    tail = "approve: showrunner approve | reject: showrunner reject --notes '...' | edit: showrunner edit"
    return "\n".join([head, *body, tail])
