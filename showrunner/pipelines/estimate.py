"""Predict what the next K episodes will cost: calls, tokens, renders, GPU time, USD.

With history (ledger records tagged with an episode number > 0) the prediction is the per-episode mean
of the series' own ledger, redrafts included, with a per-node breakdown. A new series uses
:data:`DEFAULTS`, a documented guess for one episode of the default graph (outline, script, continuity,
critique, one revision, shot plans for four scenes, twelve preview keyframes). Cost is always priced with
the *current* provider and model, so switching models changes the estimate even with history.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel, Field

from showrunner.config import Settings
from showrunner.pipelines.ledger import Ledger, price_cost

# node -> (calls, prompt tokens, completion tokens) per episode for a series with no history.
DEFAULTS: dict[str, tuple[float, float, float]] = {
    "write_outline": (1, 1500, 600),
    "write_script": (1, 2500, 2500),
    "check_continuity": (1, 3000, 400),
    "critique_episode": (2, 3000, 400),
    "revise_script": (1, 3500, 2500),
    "plan_shots": (4, 1500, 800),
}
DEFAULT_RENDERS = 12  # preview keyframes per episode
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


def estimate(ledger: Ledger, settings: Settings, episodes: int = 1) -> Estimate:
    """Predict calls, tokens, renders, time and cost for the next ``episodes`` episodes."""
    records = [r for r in ledger.entries() if isinstance(r.get("episode"), int) and r["episode"] > 0]
    n_eps = len({r["episode"] for r in records})
    by_node: dict[str, Figures] = {}
    if n_eps:
        sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in records:
            node = str(r.get("node") or r.get("prompt_id") or r.get("kind") or "other")
            s = sums[node]
            if r.get("kind") == "render":
                s["renders"] += 1
                s["gpu_seconds"] += float(r.get("gpu_seconds") or 0)
                s["seconds"] += float(r.get("seconds") or 0)
            else:
                s["calls"] += 1
                s["prompt_tokens"] += int(r.get("prompt_tokens") or 0)
                s["completion_tokens"] += int(r.get("completion_tokens") or 0)
                s["seconds"] += float(r.get("latency_s") or 0)
        for node, s in sorted(sums.items()):
            by_node[node] = _figures(settings, {k: v / n_eps for k, v in s.items()})
        basis = "history"
    else:
        for node, (calls, p, c) in DEFAULTS.items():
            by_node[node] = _figures(settings, {"calls": calls, "prompt_tokens": calls * p,
                                                "completion_tokens": calls * c,
                                                "seconds": calls * DEFAULT_LLM_SECONDS})
        by_node["render"] = _figures(settings, {"renders": DEFAULT_RENDERS,
                                                "seconds": DEFAULT_RENDERS * DEFAULT_RENDER_SECONDS})
        basis = "defaults"
    per_ep = Figures()
    for fig in by_node.values():
        per_ep = Figures(**{k: getattr(per_ep, k) + v for k, v in fig.model_dump().items()})
    return Estimate(episodes=episodes, basis=basis, history_episodes=n_eps, provider=settings.provider_name(),
                    model=_model_name(settings), per_episode=per_ep.scaled(1), total=per_ep.scaled(episodes),
                    by_node=by_node)


def _figures(settings: Settings, s: dict[str, float]) -> Figures:
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
