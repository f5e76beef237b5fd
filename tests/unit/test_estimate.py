import pytest

from showrunner.config import Price, Settings
from showrunner.llm.base import Usage
from showrunner.pipelines.estimate import DEFAULTS, compare, estimate
from showrunner.pipelines.ledger import Ledger


def _settings(**kw) -> Settings:
    return Settings(llm="openai", model="m", prices={"m": Price(input=1.0, output=4.0)}, **kw)


def test_new_series_uses_defaults(tmp_path):
    est = estimate(Ledger(tmp_path / "l.jsonl"), _settings(), episodes=3)
    assert est.basis == "defaults" and est.history_episodes == 0
    calls = sum(c for c, _, _ in DEFAULTS.values())
    assert est.per_episode.calls == calls and est.total.calls == 3 * calls
    prompt = sum(c * p for c, p, _ in DEFAULTS.values())
    completion = sum(c * o for c, _, o in DEFAULTS.values())
    assert est.per_episode.cost_usd == pytest.approx((prompt + 4 * completion) / 1e6)
    assert est.total.renders == 3 * est.per_episode.renders > 0


def test_history_means_per_episode_and_node(tmp_path):
    ledger = Ledger(tmp_path / "l.jsonl")
    for ep in (1, 2):
        ledger.record_llm(Usage("scripted", "s", "p", 1, prompt_tokens=100 * ep, completion_tokens=10),
                          episode=ep, node="write_script")
        ledger.record_llm(Usage("scripted", "s", "p", 1, prompt_tokens=50, completion_tokens=50),
                          episode=ep, node="critique_episode")
        ledger.record_render(1.0, 0.5, "preview", episode=ep, node="render")
    ledger.record_llm(Usage("scripted", "s", "p", 1, prompt_tokens=9999), episode=0, node="write_bible")
    ledger.record_llm(Usage("scripted", "s", "p", 1, prompt_tokens=7777), episode=3, node="write_script")
    assert estimate(ledger, _settings(), episodes=2).history_episodes == 3  # without knowing what is complete
    est = estimate(ledger, _settings(), episodes=2, complete={1, 2})  # episode 3 is in progress: not history
    assert est.basis == "history" and est.history_episodes == 2
    assert est.by_node["write_script"].prompt_tokens == 150
    assert est.per_episode.calls == 2 and est.per_episode.tokens == 260
    assert est.per_episode.renders == 1 and est.per_episode.gpu_seconds == 0.5
    assert est.total.tokens == 520
    # priced with the current model, not the one that ran
    assert est.per_episode.cost_usd == pytest.approx((200 + 4 * 60) / 1e6)
    local = estimate(ledger, Settings(llm="local"), episodes=2, complete={1, 2})
    assert local.total.cost_usd == 0 and local.total.tokens == 520


def test_compare_scales_to_episodes_done():
    rows = compare({"per_episode": {"calls": 10, "tokens": 1000}}, {"calls": 25, "tokens": 2000}, 2)
    calls = next(r for r in rows if r["what"] == "calls")
    assert calls == {"what": "calls", "estimate": 20.0, "actual": 25.0, "ratio": 1.25}
    assert compare(None, {}, 1) == []


def test_default_nodes_are_the_graph_nodes_that_call_the_llm(tmp_path):
    """DEFAULTS name real graph nodes, and exactly those that make LLM calls for an episode."""
    from showrunner.graph import NODES
    from showrunner.pipelines import series
    from showrunner.pipelines.estimate import RENDER_NODE
    from showrunner.testing import ScriptedLLM, story_responder

    assert set(DEFAULTS) | {RENDER_NODE} <= {n.__name__ for n in NODES}
    root = tmp_path / "s"
    series.new_series(root, "A harbor town in fog", 1, llm=ScriptedLLM(story_responder),
                      auto_approve=frozenset({"all"}))
    ledger = Ledger(root / "logs" / "ledger.jsonl")
    assert {r["node"] for r in ledger.entries(kind="llm", episode=1)} == set(DEFAULTS)
    assert {r["node"] for r in ledger.entries(kind="render", episode=1)} == {RENDER_NODE}
