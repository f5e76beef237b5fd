import threading

import pytest
from pydantic import BaseModel

from showrunner.config import DEFAULT_PRICES, Price
from showrunner.io import read_jsonl
from showrunner.llm.base import LLMError, Prompt, StructuredLLM, Usage
from showrunner.pipelines.ledger import Ledger, MeteredLLM, price_cost
from showrunner.testing import ScriptedLLM


class Answer(BaseModel):
    text: str


def _prompt(pid: str = "writer/outline") -> Prompt:
    return Prompt.plain("x" * 400, id=pid, version=1)


def test_record_llm_costs_from_price_table(tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl", {"m": Price(input=1.0, output=2.0)})
    usage = Usage(provider="openai", model="m", prompt_id="p", prompt_version=1,
                  prompt_tokens=1_000_000, completion_tokens=500_000)
    rec = ledger.record_llm(usage, episode=2, node="write_script", draft=True)
    assert rec["cost_usd"] == pytest.approx(2.0)
    assert usage.cost_usd == pytest.approx(2.0)
    [line] = read_jsonl(tmp_path / "ledger.jsonl")
    assert line["episode"] == 2 and line["node"] == "write_script" and line["draft"] is True
    assert line["prompt_id"] == "p" and line["prompt_tokens"] == 1_000_000


def test_local_and_unknown_models_are_free():
    prices = dict(DEFAULT_PRICES)
    assert price_cost(prices, "local", "gpt-4o", 10**6, 10**6) == 0.0
    assert price_cost(prices, "openai", "no-such-model", 10**6, 10**6) == 0.0
    assert price_cost(prices, "openai", "gpt-4o-mini", 10**6, 0) == pytest.approx(0.15)


def test_totals_group_and_filter(tmp_path):
    ledger = Ledger(tmp_path / "l.jsonl", {})
    for ep, node, toks in [(2, "a", 10), (2, "b", 20), (3, "a", 5)]:
        ledger.record_llm(Usage("scripted", "s", "p", 1, prompt_tokens=toks, completion_tokens=1),
                          episode=ep, node=node, night="n1")
    ledger.record_render(3.5, 2.0, "preview", episode=3, night="n1")
    ledger.record_llm(Usage("scripted", "s", "p", 1, prompt_tokens=100), night="n2")
    by_ep = ledger.totals(by="episode", night="n1")
    assert by_ep[2].calls == 2 and by_ep[2].tokens == 32
    assert by_ep[3].calls == 1 and by_ep[3].renders == 1 and by_ep[3].gpu_seconds == 2.0
    assert ledger.total(night="n2").prompt_tokens == 100
    assert ledger.total().calls == 4
    assert ledger.totals(by="node", night="n1")["a"].tokens == 17
    assert ledger.total(kind="render").render_seconds == 3.5


def test_metered_llm_records_calls_with_tags(tmp_path):
    ledger = Ledger(tmp_path / "l.jsonl", {"gpt-4o-mini": Price(input=0.15, output=0.6)})
    inner = ScriptedLLM(model="gpt-4o-mini").enqueue(Answer(text="hi"), Answer(text="yo"))
    metered = MeteredLLM(inner, ledger, tags={"night": "n1"})
    assert isinstance(metered, StructuredLLM)
    assert metered.provider == "scripted" and metered.model == "gpt-4o-mini"
    metered.tags["episode"] = 4
    with metered.tagged(node="write_outline"):
        gen = metered.generate(_prompt(), Answer)
    metered.generate(_prompt("critic/critique"), Answer)
    assert gen.value.text == "hi" and gen.usage.cost_usd > 0
    first, second = ledger.entries()
    assert first["node"] == "write_outline" and first["episode"] == 4 and first["night"] == "n1"
    assert first["prompt_tokens"] == gen.usage.prompt_tokens > 0
    assert first["cost_usd"] > 0
    assert "node" not in second and second["prompt_id"] == "critic/critique"


def test_metered_llm_records_failed_attempt_and_reraises(tmp_path):
    ledger = Ledger(tmp_path / "l.jsonl", {})
    seen = []
    metered = MeteredLLM(ScriptedLLM().enqueue(LLMError("endpoint down")), ledger,
                         tags_fn=lambda: {"episode": 7}, on_record=seen.append)
    with pytest.raises(LLMError):
        metered.generate(_prompt(), Answer)
    [rec] = ledger.entries()
    assert "endpoint down" in rec["error"] and rec["episode"] == 7 and rec["prompt_tokens"] == 0
    assert seen == [rec]
    assert (ledger.total().failed, ledger.total().calls) == (1, 0)


def test_tagged_is_per_thread(tmp_path):
    ledger = Ledger(tmp_path / "l.jsonl", {})
    metered = MeteredLLM(ScriptedLLM(lambda p, s: {"text": "ok"}), ledger)
    barrier = threading.Barrier(2)

    def work(i: int) -> None:
        with metered.tagged(shot=i):
            barrier.wait()
            metered.generate(_prompt(), Answer)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["shot"] for r in ledger.entries()) == [0, 1]


def test_meter_for_graph_context(tmp_path):
    from showrunner.pipelines.ledger import meter_for, project_ledger

    ledger = project_ledger(tmp_path)
    seen: list[dict] = []
    meter = meter_for(ledger, on_record=seen.append, night="n9", draft=True)
    llm = meter.llm(ScriptedLLM(lambda p, s: {"text": "ok"}), {"episode": 3, "node": "write_script"})
    llm.generate(_prompt(), Answer)
    meter.renders([{"stage": "keyframe", "shot": "e003-s01-01", "backend": "preview", "seconds": 0.2,
                    "gpu_seconds": 0.0}], {"episode": 3, "node": "render_episode"})
    call, frame = ledger.entries(night="n9")
    assert call["episode"] == 3 and call["node"] == "write_script" and call["draft"] is True
    assert frame["kind"] == "render" and frame["stage"] == "keyframe" and frame["shot"] == "e003-s01-01"
    assert seen == [call, frame] and (tmp_path / "logs" / "ledger.jsonl").is_file()
    total = ledger.total(night="n9")
    assert (total.calls, total.renders, total.render_seconds) == (1, 1, 0.2)
