"""The nightly review queue (``drafts/queue.json``) and the rule between drafts and the live run.

Each entry says, per episode, ``drafting`` (partly done: the next night resumes its thread), ``waiting``
(at its gate), ``rejected`` (redraft with the notes), ``stale`` (an earlier draft it builds on was
rejected or superseded), ``superseded`` (the live run got that episode into the canon first) or
``approved``.

The rule between a draft and the live run (the interactive series thread) when both hold episode N:
whichever a person approves first becomes canon, and the other is never dropped silently.

* While the live run waits at a gate of episode N, that gate shows a waiting draft of N as a proposal
  (:func:`proposals`), so the person sees both.
* ``approve --draft N`` while the live run holds N supersedes the live gate: its payload is kept in
  ``drafts/ep-NNN/superseded-live-<gate>.json``, the decision is logged, the live run is moved past N and
  the command says so, with the next step (``showrunner resume``).
* When the live run commits N first, draft N reads ``superseded`` and every later draft that built on it
  reads ``stale`` (:func:`load_queue` applies this on every read, so status, review and the report agree).
"""

from __future__ import annotations

import json
import shlex
import time
from typing import Any

from showrunner.config import Settings, load_settings
from showrunner.errors import BadInput, ProjectError
from showrunner.io import append_jsonl, atomic_write
from showrunner.memory.canon import Canon
from showrunner.models import Fact
from showrunner.pipelines import series
from showrunner.pipelines.project import Project

WAITING, DRAFTING, REJECTED, STALE, APPROVED = "waiting", "drafting", "rejected", "stale", "approved"
SUPERSEDED = "superseded"
Queue = dict[str, dict[str, Any]]


def load_queue(project: Project) -> Queue:
    """The queue as it stands: drafts of episodes the live run already committed read ``superseded``."""
    path = project.drafts_dir / "queue.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    queue = {str(k): v for k, v in data.get("episodes", {}).items()}
    canon = set(Canon(project.canon_dir).episode_numbers())
    gone = {int(k) for k, e in queue.items() if int(k) in canon and e.get("status") not in (APPROVED, SUPERSEDED)}
    for n in sorted(gone):
        queue[str(n)].update(status=SUPERSEDED, superseded_by="the live run (approved there first)")
    for key, entry in queue.items():
        built_on = gone & set(entry.get("provisional_on") or [])
        if built_on and entry.get("status") in (WAITING, DRAFTING):
            entry.update(status=STALE, stale_because=min(built_on))
    return queue


def save_queue(project: Project, queue: Queue) -> None:
    ordered = {k: queue[k] for k in sorted(queue, key=int)}
    atomic_write(project.drafts_dir / "queue.json", json.dumps({"episodes": ordered}, indent=2) + "\n")


def proposals(project: Project, episode: int) -> list[str]:
    """What the live gate of ``episode`` shows about a nightly draft of the same episode (none or one line)."""
    entry = load_queue(project).get(str(episode))
    if not entry or entry.get("status") != WAITING:
        return []
    return [f"nightly draft {episode} of this episode waits at its {entry.get('gate')} gate: review it with "
            f"'showrunner review --draft {episode} -p {shlex.quote(str(project.root))}'; approving it replaces "
            "the work at this gate"]


def reject_draft(project: Project, episode: int, notes: str) -> list[int]:
    """Reject draft ``episode`` with notes; every later draft becomes stale. Returns the stale ones."""
    if not notes.strip():
        raise BadInput("reject needs --notes saying what to change")
    queue = load_queue(project)
    entry = queue.get(str(episode))
    if entry is None or entry["status"] in (APPROVED, SUPERSEDED):
        raise ProjectError(f"episode {episode} has no draft to reject; see 'showrunner report'")
    entry.update(status=REJECTED, notes=[*entry.get("notes", []), " ".join(notes.split())])
    append_jsonl(project.decisions, {"time": time.time(), "gate": "draft", "episode": episode,
                                     "action": "reject", "notes": " ".join(notes.split())})
    stale = []
    for key, later in queue.items():
        if int(key) > episode and later["status"] in (WAITING, DRAFTING):
            later.update(status=STALE, stale_because=episode)
            stale.append(int(key))
    save_queue(project, queue)
    return stale


def edit_draft(project: Project, episode: int, artifact: Any, notes: str = "") -> dict[str, Any]:
    """Replace waiting draft ``episode``'s artifact at its gate with a person's edit, validated like a live edit.

    An edited storyboard is what ``approve --draft`` commits; a draft rendered before the edit says that its
    cut is out of date (``render --episode N`` after approval renders the changed shots).
    """
    from showrunner.agents.human import parse_decision

    with project.lock("showrunner edit --draft"):
        queue = load_queue(project)
        entry = queue.get(str(episode))
        if entry is None or entry.get("status") != WAITING or not entry.get("gate"):
            raise ProjectError(f"episode {episode} has no draft waiting for review; see 'showrunner status'")
        gate = str(entry["gate"])
        _, notes, edited = parse_decision({"action": "edit", "artifact": artifact, "notes": notes}, gate)
        assert edited is not None
        folder = project.drafts_dir / f"ep-{episode:03d}"
        payload = json.loads((folder / f"{gate}.json").read_text(encoding="utf-8"))
        data = edited.model_dump(mode="json")
        if gate == "script":
            data["number"] = episode
            atomic_write(folder / "episode.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        else:
            data["episode"] = episode
            atomic_write(folder / "storyboard.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        if gate == "final":
            payload["render"] = {"reason": "the storyboard was edited after this draft was rendered; run "
                                           f"'showrunner render --episode {episode}' after approving it"}
        atomic_write(folder / f"{gate}.json", json.dumps({**payload, "artifact": data}, indent=2,
                                                         ensure_ascii=False, default=str) + "\n")
        entry["edited"] = True
        save_queue(project, queue)
        append_jsonl(project.decisions, {"time": time.time(), "gate": "draft", "episode": episode,
                                         "action": "edit", "notes": notes})
    return {"edited": episode, "gate": gate}


def approve_draft(project: Project, episode: int, settings: Settings | None = None) -> dict[str, Any]:
    """Commit finished draft ``episode`` (and only it) to the canon and memory; drafts are approved in order.

    Returns ``{"approved": N, "superseded": {...} | None, "next": "..."}``: what the live run held at N and
    where its work was kept, and the next step for the live run.
    """
    from showrunner.memory import open_memory
    from showrunner.models import Episode, Shot

    settings = settings or load_settings(project.root)
    with project.lock("showrunner approve --draft"):
        queue = load_queue(project)
        entry = queue.get(str(episode))
        if entry is None or entry["status"] != WAITING:
            raise ProjectError(f"episode {episode} has no draft waiting for approval; see 'showrunner report'")
        canon = Canon(project.canon_dir)
        nxt = max(canon.episode_numbers(), default=0) + 1
        if episode != nxt:
            raise ProjectError(f"approve episode {nxt} first; drafts are approved in order")
        folder = project.drafts_dir / f"ep-{episode:03d}"
        if not (folder / "facts.json").is_file():
            raise ProjectError(f"draft {episode} stopped at the {entry.get('gate')} gate before it was finished; "
                               f"reject it with notes ('showrunner reject --draft {episode} --notes ...') or "
                               "let 'showrunner nightly' finish it")
        script = Episode.model_validate_json((folder / "episode.json").read_text(encoding="utf-8"))
        board = json.loads((folder / "storyboard.json").read_text(encoding="utf-8"))
        facts = [Fact.model_validate(f) for f in json.loads((folder / "facts.json").read_text(encoding="utf-8"))]
        superseded = _supersede_live(project, settings, episode)
        canon.save_episode(script)
        canon.save_storyboard(episode, [Shot.model_validate(s) for s in board.get("shots", [])])
        canon.add_facts(facts)
        open_memory(project, settings).add_facts(facts, space="canon")
        entry["status"] = APPROVED
        for later in queue.values():
            later["provisional_on"] = [m for m in later.get("provisional_on", []) if m != episode]
        save_queue(project, queue)
        append_jsonl(project.decisions, {"time": time.time(), "gate": "draft", "episode": episode,
                                         "action": "approve", "notes": ""})
        # the live series thread must not redo (or re-commit) what is now canon
        moved = series.fast_forward(project, settings, episode)
    total = int(project.meta().get("episodes") or 0)
    more = episode < total
    resume = f"showrunner resume -p {shlex.quote(str(project.root))}"
    step = (f"run '{resume}' to continue the live run at episode {episode + 1}" if moved and more
            else "the series is complete" if not more else "see 'showrunner status'")
    return {"approved": episode, "superseded": superseded, "next": step}


def _supersede_live(project: Project, settings: Settings, episode: int) -> dict[str, Any] | None:
    """Keep and log what the live run holds of ``episode`` (at a gate or mid-way) before the draft replaces it."""
    try:
        snap = series.snapshot(project, settings)
    except ProjectError:  # no live run state (a series imported from a canon file): nothing to supersede
        return None
    values = snap.values or {}
    if values.get("episode") != episode or episode in (values.get("completed") or []):
        return None
    pend = series.outcome(snap)["pending"]
    if pend and pend.get("episode") == episode:
        where, held = pend["gate"], pend
    else:  # stopped between gates (a crash): keep what it had written so far
        where = "in-progress"
        held = {"episode": episode, "script": _dump(values.get("script")),
                "shots": [_dump(s) for s in values.get("shots") or []]}
    kept = project.drafts_dir / f"ep-{episode:03d}" / f"superseded-live-{where}.json"
    atomic_write(kept, json.dumps(held, indent=2, ensure_ascii=False, default=str) + "\n")
    append_jsonl(project.decisions, {"time": time.time(), "gate": where, "episode": episode,
                                     "action": "superseded", "notes": f"by nightly draft {episode}",
                                     "kept": str(kept)})
    return {"gate": where, "episode": episode, "kept": str(kept)}


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json") if hasattr(model, "model_dump") else model


def decide_draft(project: Project, episode: int, action: str, notes: str = "",
                 settings: Settings | None = None) -> dict[str, Any]:
    """Approve or reject nightly draft ``episode`` and refresh the morning report (the CLI's and Studio's path).

    Approve returns :func:`approve_draft`'s answer; reject returns ``{"rejected": N, "stale": [...]}``.
    """
    from showrunner.pipelines.nightly import refresh_report

    if action == "approve":
        done = approve_draft(project, episode, settings or load_settings(project.root))
    elif action == "reject":
        with project.lock("showrunner reject --draft"):
            done = {"rejected": episode, "stale": reject_draft(project, episode, notes)}
    else:
        raise BadInput(f"a draft is approved or rejected, not {action!r}")
    refresh_report(project)  # the morning report on disk never lists a decided draft as waiting
    return done


def draft_payload(proj: Project, n: int) -> dict[str, Any]:
    """What nightly draft ``n`` left at its gate, in the same shape as a live gate's payload."""
    entry = load_queue(proj).get(str(n))
    if entry is None or not entry.get("gate"):
        raise ProjectError(f"episode {n} has no nightly draft; see 'showrunner status'")
    path = proj.drafts_dir / f"ep-{n:03d}" / f"{entry['gate']}.json"
    if not path.is_file():
        raise ProjectError(f"draft {n} has nothing saved at its {entry['gate']} gate; run 'showrunner nightly'")
    payload: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {**payload, "draft": {"status": entry.get("status"), "provisional_on": entry.get("provisional_on", [])}}
