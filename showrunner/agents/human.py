"""The human agent: approval gates (``interrupt``), decisions, and the routes they choose.

A gate shows its artifact (JSON) and waits for ``{"action": "approve"|"reject"|"edit", "notes": ...,
"artifact": ...}``. An edit is validated against the artifact's pydantic schema; the CLI refuses an invalid
edit before resuming, and should one arrive anyway the gate asks again (a second ``interrupt``) rather
than change anything. Gates that are not active (or auto-approved) pass without waiting; in draft mode
they never wait and the artifact goes to the review queue. Decisions are logged once, keyed by gate,
episode and round, so a node re-run after a resume never logs twice.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import BaseModel, ValidationError

from showrunner.adapt.models import Adaptation
from showrunner.agents.continuity import findings_for
from showrunner.agents.director import storyboard_of
from showrunner.context import Context
from showrunner.errors import BadInput
from showrunner.memory.canon import Storyboard
from showrunner.models import Bible, Episode
from showrunner.state import Gate, Review, SeriesState
from showrunner.world.admit import new_entries

SCHEMAS: dict[str, type[BaseModel]] = {"adaptation": Adaptation, "bible": Bible, "script": Episode,
                                       "storyboard": Storyboard, "final": Storyboard}
ACTIONS = ("approve", "reject", "edit")


def parse_decision(value: Any, gate: str) -> tuple[str, str, BaseModel | None]:
    """Validate a resume value: (action, notes, edited artifact or None); :class:`BadInput` if invalid."""
    if not isinstance(value, dict) or value.get("action") not in ACTIONS:
        raise BadInput(f"a decision needs an action: one of {', '.join(ACTIONS)}")
    action, notes = value["action"], " ".join(str(value.get("notes") or "").split())[:4000]
    if action == "reject" and not notes:
        raise BadInput("reject needs --notes saying what to change")
    if action != "edit":
        return action, notes, None
    try:
        edited = SCHEMAS[gate].model_validate(value.get("artifact"))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "artifact"
        raise BadInput(f"invalid {SCHEMAS[gate].__name__} at {where}: {err['msg']}; nothing changed") from exc
    return action, notes, edited


def _review(state: SeriesState, ctx: Context, gate: Gate, artifact: BaseModel,
            extra: dict[str, Any] | None = None) -> tuple[Review, BaseModel]:
    n = 0 if gate in ("adaptation", "bible") else state["episode"]
    rnd = sum(1 for d in state.get("decisions") or [] if d.get("gate") == gate and d.get("episode") == n)
    payload = {"gate": gate, "episode": n, "round": rnd, "schema": SCHEMAS[gate].__name__,
               "artifact": artifact.model_dump(mode="json"), **(extra or {})}
    if ctx.mode == "draft":
        ctx.save_draft(n, gate, payload)
        return Review(gate=gate, episode=n, action="approve", notes="", auto=True), artifact
    auto = not ctx.gate_interrupts(gate)
    value: Any = {"action": "approve"} if auto else interrupt(payload)
    for _ in range(20):
        try:
            action, notes, edited = parse_decision(value, gate)
            break
        except BadInput as exc:
            value = interrupt({**payload, "error": str(exc)})
    else:  # pragma: no cover - a client resuming with garbage twenty times
        raise BadInput("too many invalid decisions; run 'showrunner review' and try again")
    review = Review(gate=gate, episode=n, action=action, notes=notes, auto=auto)  # type: ignore[typeddict-item]
    ctx.log_decision({"key": f"{gate}:{n}:{rnd}", **review})
    return review, edited if edited is not None else artifact


def _update(review: Review, **fields: Any) -> dict[str, Any]:
    return {"review": review, "decisions": [dict(review)], **fields}


def review_adaptation(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    """The book's canon, findings and episode map wait for a person (reject: re-plan with the notes)."""
    assert state["adaptation"] is not None
    review, art = _review(state, runtime.context, "adaptation", state["adaptation"])
    if review["action"] == "reject":
        return _update(review, adaptation_notes=[*(state.get("adaptation_notes") or []), review["notes"]])
    return _update(review, adaptation=art)


def review_bible(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    assert state["bible"] is not None
    ctx = runtime.context
    extra: dict[str, Any] = {"critic": state.get("bible_findings") or []}  # what the checks still object to
    if state.get("adaptation") is not None:  # an adapted book: where each character is in the book
        extra["book_references"] = state["adaptation"].references()  # type: ignore[union-attr]
    if ctx.root is not None and ctx.gate_interrupts("bible"):  # each look as a sheet, each place as plates
        from showrunner.pipelines.references import draft_references

        extra["references"], made = draft_references(ctx.root, ctx.settings, state["bible"],
                                                      state.get("bible_notes"))
        ctx.meter.renders(made, {"episode": 0, "node": "review_bible"})
        if ctx.settings.tts != "none":  # and how each character will sound: one playable line each
            from showrunner.pipelines.voices import write_samples

            extra["voice_samples"] = write_samples(ctx.root, ctx.settings, state["bible"])
    review, art = _review(state, ctx, "bible", state["bible"], extra)
    if review["action"] == "reject":
        notes = [*(state.get("bible_notes") or []), review["notes"]]
        if state.get("adaptation") is not None:
            return _update(review, bible_notes=notes, adaptation_notes=[*(state.get("adaptation_notes") or []),
                                                                         review["notes"]])
        return _update(review, bible_notes=notes)
    return _update(review, bible=art)


def review_script(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    assert state["script"] is not None
    review, art = _review(state, runtime.context, "script", state["script"],
                          {"critique": _dump(state.get("critique")),
                           "continuity": [i.model_dump(mode="json") for i in state.get("continuity") or []]})
    if review["action"] == "reject":
        return _update(review, script_notes=[*(state.get("script_notes") or []), review["notes"]])
    assert isinstance(art, Episode) and state["bible"] is not None
    script, bible = art.model_copy(update={"number": state["episode"]}), state["bible"]
    world = runtime.context.world(bible)
    checked: dict[str, Any] = {}
    if review["action"] == "edit":  # a person's edit is checked like a writer's draft, and shown again
        checked["continuity"] = findings_for(script, world)
        if checked["continuity"]:
            return _update(review, script=script, **checked)
    chars, places = new_entries(script, world)  # names the person accepted become canon entries, with looks
    if chars or places:
        bible = bible.model_copy(update={"characters": [*bible.characters, *chars],
                                         "locations": [*bible.locations, *places]})
    return _update(review, script=script, bible=bible, **checked)


def review_storyboard(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    last = state.get("render") or {}  # after a rejected final cut: the frame QA of the frames it showed
    extra: dict[str, Any] = {"render": last} if last.get("episode") == state["episode"] else {}
    if ctx.root is not None and ctx.gate_interrupts("storyboard"):  # a person approves pictures: draw panels
        from showrunner.pipelines.panels import EpisodeShots, preview_panels
        from showrunner.pipelines.project import Project

        board = EpisodeShots(state["episode"], list(state.get("shots") or []), state.get("script"),
                             state.get("bible"), approved=False)
        extra["panels"] = preview_panels(Project(ctx.root), ctx.settings, state["episode"], board, book=lambda items:
                                         ctx.meter.renders(items, {"episode": state["episode"],
                                                                   "node": "review_storyboard"}))
    review, art = _review(state, ctx, "storyboard", storyboard_of(state), extra)
    if review["action"] == "reject":
        return _update(review, storyboard_notes=[*(state.get("storyboard_notes") or []), review["notes"]])
    assert isinstance(art, Storyboard)
    return _update(review, shots=art.shots)


def review_final(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    review, art = _review(state, runtime.context, "final", storyboard_of(state),
                          {"render": state.get("render") or {}})
    if review["action"] == "reject":
        return _update(review, storyboard_notes=[*(state.get("storyboard_notes") or []), review["notes"]])
    assert isinstance(art, Storyboard)
    return _update(review, shots=art.shots)


def _dump(model: BaseModel | None) -> dict[str, Any] | None:
    return None if model is None else model.model_dump(mode="json")


def _rejected(state: SeriesState) -> bool:
    return (state.get("review") or {}).get("action") == "reject"


def route_after_adaptation(state: SeriesState) -> Literal["plan_adaptation", "commit_adaptation"]:
    return "plan_adaptation" if _rejected(state) else "commit_adaptation"


def route_after_bible(state: SeriesState) -> Literal["write_bible", "plan_adaptation", "commit_bible"]:
    """A rejected bible is rewritten; an adapted book's is re-planned from the book with the notes."""
    if not _rejected(state):
        return "commit_bible"
    return "plan_adaptation" if state.get("adaptation") is not None else "write_bible"


def route_after_script(state: SeriesState) -> Literal["revise_script", "review_script", "plan_storyboard"]:
    """A rejection goes to the writer; an edit with findings comes back to the gate to show them."""
    if _rejected(state):
        return "revise_script"
    edited = (state.get("review") or {}).get("action") == "edit"
    return "review_script" if edited and state.get("continuity") else "plan_storyboard"


def route_after_storyboard(state: SeriesState) -> Literal["plan_storyboard", "render_episode"]:
    return "plan_storyboard" if _rejected(state) else "render_episode"


def route_after_final(state: SeriesState) -> Literal["plan_storyboard", "extract_facts"]:
    return "plan_storyboard" if _rejected(state) else "extract_facts"
