"""Wiring only: the showrunner graph from the agents' nodes and routers.

    START ─▶ write_bible ─▶ review_bible ─▶ commit_bible ─▶ start_episode
    (a book: START ─▶ extract_book ─▶ plan_adaptation ─▶ review_adaptation ─▶ commit_adaptation ─▶ review_bible)
    (or straight to start_episode when the input already holds a bible: resumed series, nightly drafts)

    start_episode ─▶ write_outline ─▶ write_script ─▶ check_continuity ─▶ critique_script
        ─▶ revise_script (bounded, back to check_continuity) | review_script
    review_script ─▶ plan_storyboard ═▶ plan_scene_shots × scenes (Send) ─▶ assemble_storyboard
        ─▶ review_storyboard ─▶ render_episode ─▶ review_final ─▶ extract_facts ─▶ commit_episode
        ─▶ start_episode | END

Rejections go back to the responsible agent: adaptation → plan_adaptation, bible → write_bible (an adapted
book's: plan_adaptation), script → revise_script,
storyboard and final → plan_storyboard.
"""

from __future__ import annotations

import functools
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from showrunner import models
from showrunner.agents import adapt, continuity, critic, director, flow, human, writer
from showrunner.context import Context
from showrunner.state import SeriesState

NODES = (
    adapt.extract_book, adapt.plan_adaptation, human.review_adaptation, adapt.commit_adaptation,
    writer.write_bible, human.review_bible, continuity.commit_bible, flow.start_episode,
    writer.write_outline, writer.write_script, continuity.check_continuity, critic.critique_script,
    writer.revise_script, human.review_script, director.plan_storyboard, director.plan_scene_shots,
    director.assemble_storyboard, human.review_storyboard, director.render_episode, human.review_final,
    continuity.extract_facts, continuity.commit_episode,
)


def serializer() -> JsonPlusSerializer:
    """Checkpoint serializer that may rebuild this package's models (and nothing else unregistered)."""
    allowed = [("showrunner.models", name) for name in dir(models) if isinstance(getattr(models, name), type)]
    allowed.append(("showrunner.memory.canon", "Storyboard"))
    allowed += [("showrunner.adapt.models", name) for name in ("Adaptation", "BookFact", "EpisodePlan", "Finding")]
    return JsonPlusSerializer(allowed_msgpack_modules=allowed)


def build_graph(checkpointer: BaseCheckpointSaver[Any] | None = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The compiled graph with ``checkpointer``: compiled once per process (~50 ms), copied per saver.

    A long-lived process (the Studio, a night of drafts) reads state many times; compiling each time
    cost most of a page load.
    """
    graph = _compiled()
    return graph if checkpointer is None else graph.copy(update={"checkpointer": checkpointer})


@functools.cache
def _compiled() -> CompiledStateGraph[Any, Any, Any, Any]:
    g: StateGraph[Any, Context, Any, Any] = StateGraph(SeriesState, context_schema=Context)
    for node in NODES:
        g.add_node(node.__name__, node)  # type: ignore[call-overload,arg-type]
    g.add_conditional_edges(START, flow.route_start)
    g.add_edge("extract_book", "plan_adaptation")
    g.add_edge("plan_adaptation", "review_adaptation")
    g.add_conditional_edges("review_adaptation", human.route_after_adaptation)
    g.add_edge("commit_adaptation", "review_bible")
    g.add_conditional_edges("write_bible", writer.route_after_write_bible)
    g.add_conditional_edges("review_bible", human.route_after_bible)
    g.add_edge("commit_bible", "start_episode")
    g.add_edge("start_episode", "write_outline")
    g.add_edge("write_outline", "write_script")
    g.add_edge("write_script", "check_continuity")
    g.add_edge("check_continuity", "critique_script")
    g.add_conditional_edges("critique_script", critic.route_after_critique)
    g.add_edge("revise_script", "check_continuity")
    g.add_conditional_edges("review_script", human.route_after_script)
    g.add_conditional_edges("plan_storyboard", director.fan_out_scenes, ["plan_scene_shots"])
    g.add_edge("plan_scene_shots", "assemble_storyboard")
    g.add_edge("assemble_storyboard", "review_storyboard")
    g.add_conditional_edges("review_storyboard", human.route_after_storyboard)
    g.add_edge("render_episode", "review_final")
    g.add_conditional_edges("review_final", human.route_after_final)
    g.add_edge("extract_facts", "commit_episode")
    g.add_conditional_edges("commit_episode", flow.route_next)
    return g.compile()
