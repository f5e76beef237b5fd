"""Predict what the next K episodes will cost: calls, tokens, renders, GPU time, USD.

With history (ledger records of *complete* episodes: committed to the canon, or drafted through the final
gate) the prediction is the per-episode mean of the series' own ledger, redrafts included, with a
per-node breakdown; the sums are :class:`~showrunner.pipelines.ledger.Totals`, the same ones status and
the report show. A new series uses :data:`DEFAULTS`, a documented guess for one episode of the default
graph, by the graph nodes that make LLM calls (outline, script, two critiques, one revision, shot plans for
four scenes, fact extraction) and twelve preview keyframes from ``render_episode``. Cost is always priced with
the *current* provider and model, so switching models changes the estimate even with history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from showrunner.config import Settings
from showrunner.pipelines.ledger import Ledger, Totals, price_cost

if TYPE_CHECKING:
    from showrunner.pipelines.project import Project

# graph node -> (calls, prompt tokens, completion tokens) per episode for a series with no history.
# Only nodes that call the LLM (check_continuity is deterministic); a test checks these against a real run.
DEFAULTS: dict[str, tuple[float, float, float]] = {
    "write_outline": (1, 1500, 600),
    "write_script": (1, 2500, 2500),
    "critique_script": (2, 3000, 400),
    "revise_script": (1, 3500, 2500),
    "plan_scene_shots": (4, 1500, 800),
    "extract_facts": (1, 2500, 300),
}
RENDER_NODE = "render_episode"
DEFAULT_RENDERS = 12  # preview keyframes per episode (4 scenes x up to 3 shots)
DEFAULT_RENDER_SECONDS = 0.5  # per preview keyframe on CPU; diffusers presets are far slower
DEFAULT_LLM_SECONDS = 2.0  # per call


class Figures(BaseModel):
    """Predicted amounts for one episode or for the whole batch."""

    calls: float = 0
    prompt_tokens: float = 0
    completion_tokens: float = 0
    tokens: float = 0
    renders: float = 0
    gpu_seconds: float = 0
    seconds: float = Field(0, description="Predicted wall time: LLM latency plus render time.")
    cost_usd: float = 0

    def scaled(self, k: float) -> Figures:
        return Figures(**{name: round(value * k, 6) for name, value in self.model_dump().items()})


class Estimate(BaseModel):
    """A prediction for the next ``episodes`` episodes."""

    episodes: int
    basis: str = Field(description="'history' (the series' own ledger) or 'defaults' (a new series).")
    history_episodes: int = 0
    provider: str
    model: str
    per_episode: Figures
    total: Figures
    by_node: dict[str, Figures] = Field(default_factory=dict, description="Per episode, by graph node.")


def _price(settings: Settings, prompt: float, completion: float) -> float:
    return price_cost(settings.prices, settings.provider_name(), _model_name(settings), int(prompt),
                      int(completion))


def _model_name(settings: Settings) -> str:
    return settings.model if settings.provider_name() == "openai" else (settings.local_model or "default")


def complete_episodes(project: Project) -> set[int]:
    """Episodes whose work is done: in the canon, or a nightly draft through its final gate."""
    from showrunner.memory.canon import Canon
    from showrunner.pipelines.nightly import load_queue

    done = set(Canon(project.canon_dir).episode_numbers())
    for key, entry in load_queue(project).items():
        if entry.get("status") == "approved" or (entry.get("status") == "waiting" and entry.get("gate") == "final"):
            done.add(int(key))
    return done


def estimate(ledger: Ledger, settings: Settings, episodes: int = 1, complete: Collection[int] | None = None
             ) -> Estimate:
    """Predict calls, tokens, renders, time and cost for the next ``episodes`` episodes.

    ``complete`` names the episodes whose records make the history (all episodes > 0 when None); an
    episode still in progress would make the mean too small.
    """
    records = [r for r in ledger.entries() if isinstance(r.get("episode"), int) and r["episode"] > 0
               and (complete is None or r["episode"] in complete)]
    n_eps = len({r["episode"] for r in records})
    by_node: dict[str, Figures] = {}
    if n_eps:
        sums: dict[str, Totals] = defaultdict(Totals)
        for r in records:
            sums[str(r.get("node") or r.get("prompt_id") or r.get("kind") or "other")].add(r)
        for node, t in sorted(sums.items()):
            by_node[node] = _figures(settings, {"calls": t.calls, "prompt_tokens": t.prompt_tokens,
                                                "completion_tokens": t.completion_tokens, "renders": t.renders,
                                                "gpu_seconds": t.gpu_seconds,
                                                "seconds": t.llm_seconds + t.render_seconds}, 1 / n_eps)
        basis = "history"
    else:
        for node, (calls, p, c) in DEFAULTS.items():
            by_node[node] = _figures(settings, {"calls": calls, "prompt_tokens": calls * p,
                                                "completion_tokens": calls * c,
                                                "seconds": calls * DEFAULT_LLM_SECONDS})
        by_node[RENDER_NODE] = _figures(settings, {"renders": DEFAULT_RENDERS,
                                                   "seconds": DEFAULT_RENDERS * DEFAULT_RENDER_SECONDS})
        basis = "defaults"
    per_ep = Figures()
    for fig in by_node.values():
        per_ep = Figures(**{k: getattr(per_ep, k) + v for k, v in fig.model_dump().items()})
    return Estimate(episodes=episodes, basis=basis, history_episodes=n_eps, provider=settings.provider_name(),
                    model=_model_name(settings), per_episode=per_ep.scaled(1), total=per_ep.scaled(episodes),
                    by_node=by_node)


def _figures(settings: Settings, sums: dict[str, float], scale: float = 1.0) -> Figures:
    s = {k: v * scale for k, v in sums.items()}
    p, c = s.get("prompt_tokens", 0.0), s.get("completion_tokens", 0.0)
    return Figures(calls=s.get("calls", 0), prompt_tokens=p, completion_tokens=c, tokens=p + c,
                   renders=s.get("renders", 0), gpu_seconds=s.get("gpu_seconds", 0),
                   seconds=s.get("seconds", 0), cost_usd=_price(settings, p, c)).scaled(1)


def compare(est: dict[str, Any] | None, actual: dict[str, Any], episodes_done: int) -> list[dict[str, Any]]:
    """Rows of estimate vs actual for a night's report (estimate scaled to the episodes drafted)."""
    if not est:
        return []
    per_ep = est.get("per_episode", {})
    rows = []
    for key in ("calls", "tokens", "renders", "gpu_seconds", "cost_usd"):
        predicted = float(per_ep.get(key, 0)) * max(episodes_done, 0)
        got = float(actual.get(key, 0))
        ratio = round(got / predicted, 2) if predicted else None
        rows.append({"what": key, "estimate": round(predicted, 4), "actual": round(got, 4), "ratio": ratio})
    return rows
