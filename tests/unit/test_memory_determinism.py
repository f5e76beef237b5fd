"""The same canon gives byte-identical retrieval packs: every run, after a rebuild, after a resume.

Also the fast query path: a retrieval asks Chroma nothing (no count, no query), query vectors are cached
by text, and the embedder's thread count is explicit.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from memory_samples import ROOT, generate, small_canon

from showrunner.config import load_settings
from showrunner.memory import Canon, open_memory
from showrunner.memory.canon_format import import_canon
from showrunner.memory.canon_io import open_or_create
from showrunner.memory.chroma_store import ChromaMemory
from showrunner.memory.embeddings import HashEmbedder, make_embedder, torch_threads
from showrunner.models import CanonFile, Fact, FactKind, SceneRef
from showrunner.pipelines.project import Project

HASH = load_settings(None, embedder="hash")


def _project(root: Path) -> Project:
    cf = generate(0.08, seed=3)
    proj, _ = open_or_create(root, cf)
    import_canon(proj, cf, index=False)
    return proj


def packs(mem: ChromaMemory, seed: int = 1, n: int = 25) -> str:
    """sha256 of the JSON of ``n`` retrieval packs for random scenes of the canon (with queries)."""
    rng = random.Random(seed)
    canon = mem.canon
    assert canon is not None
    eps = [canon.episode(i) for i in canon.episode_numbers()]
    scenes = [(e.number, s) for e in eps if e for s in e.scenes if s.characters]
    digest = hashlib.sha256()
    for _ in range(n):
        ep, sc = scenes[rng.randrange(len(scenes))]
        pack = mem.retrieve(episode=ep, scene=sc.number, characters=sc.characters, locations=[sc.location],
                            query=sc.summary or sc.location, budget_tokens=rng.choice([300, 600, 10**6]))
        digest.update(pack.model_dump_json().encode())
    return digest.hexdigest()


def test_packs_are_identical_across_reopen_rebuild_and_resume(tmp_path: Path) -> None:
    proj = _project(tmp_path / "s")
    mem = open_memory(proj, HASH)  # first open: a full ingest through sync
    want = packs(mem)
    assert packs(mem) == want  # the same store asked twice
    mem.close()
    assert packs(open_memory(proj, HASH)) == want  # reopened: vectors read back from chroma
    rebuilt = open_memory(proj, HASH)
    rebuilt.rebuild()
    assert packs(rebuilt) == want
    # a resume after a crash mid-ingest: part of the collection is missing, the reopen re-syncs it
    ids = rebuilt.col("canon").get(include=[])["ids"]
    rebuilt.col("canon").delete(ids=ids[::3])
    rebuilt.close()
    resumed = open_memory(proj, HASH)
    assert len(resumed.index()) == len(Canon(proj.canon_dir).facts())
    assert packs(resumed) == want


def test_packs_are_identical_in_another_process(tmp_path: Path) -> None:
    proj = _project(tmp_path / "s")
    want = packs(open_memory(proj, HASH))
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/tests/unit'];"
            "from pathlib import Path; from test_memory_determinism import HASH, packs;"
            "from showrunner.memory import open_memory; from showrunner.pipelines.project import Project;"
            "print(packs(open_memory(Project.open(Path(sys.argv[2])), HASH)))")
    for hashseed in ("1", "2"):  # str hashing differs between the two processes
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        out = subprocess.run([sys.executable, "-c", code, str(ROOT), str(proj.root)], env=env,
                             capture_output=True, text=True, timeout=300, check=True)
        assert out.stdout.strip() == want


def test_equal_neighbours_are_cut_by_id_whatever_the_insert_order(tmp_path: Path) -> None:
    proj = _project(tmp_path / "s")
    same = [Fact(kind=FactKind.event, subject="x", predicate="event", object=f"tide {n}", text="The tide turns red.",
                 valid_from=SceneRef(episode=n)) for n in (1, 2, 3, 4)]
    mem = open_memory(proj, HASH)
    mem.add_facts(same[::-1])
    first = mem.search("The tide turns red.", episode=5, k=2)
    assert [f.text for f in first] == ["The tide turns red."] * 2
    assert [f.id for f in first] == sorted(f.id for f in first) == sorted(f.id for f in mem.search(
        "The tide turns red.", episode=5, k=4))[:2]
    Canon(proj.canon_dir).add_facts(same)
    mem.rebuild()  # inserted in canon order now
    assert [f.id for f in mem.search("The tide turns red.", episode=5, k=2)] == [f.id for f in first]


class _Spy:
    """Stands in for a chroma collection and records every method called on it."""

    def __init__(self, col: Any, calls: list[str]) -> None:
        self._col, self._calls = col, calls

    def __getattr__(self, name: str) -> Any:
        self._calls.append(name)
        return getattr(self._col, name)


class _CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return super().embed(texts)


def test_retrieval_asks_chroma_nothing_and_embeds_a_query_once(tmp_path: Path) -> None:
    proj = _project(tmp_path / "s")
    open_memory(proj, HASH).close()
    mem = open_memory(proj, HASH)
    mem.embedder = emb = _CountingEmbedder()
    calls: list[str] = []
    mem._cols = {space: _Spy(mem.col(space), calls) for space in ("canon", "draft")}
    mem.col("draft").count()  # the spy records
    assert calls == ["count"]
    calls.clear()
    for n in range(3):
        mem.retrieve(episode=3, scene=1, characters=["Ada"], query="a coded letter at the harbour",
                     include_drafts=True)
        # the draft space is read once, on first use; after that nothing is asked of chroma
        assert calls == (["get"] if n == 0 else [])
        calls.clear()
    assert emb.texts.count("a coded letter at the harbour") == 1
    # a write goes to chroma and is seen by the next query without asking chroma again
    mem.add_facts([Fact(kind=FactKind.world_rule, subject="series", predicate="rule", object="letters",
                        text="Every coded letter at the harbour burns at dawn.")])
    assert "upsert" in calls
    calls.clear()
    hits = mem.search("a coded letter at the harbour", episode=3, k=3)
    assert hits[0].text == "Every coded letter at the harbour burns at dawn." and calls == []


def test_thread_counts_are_explicit_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with torch_threads(before + 1):
        assert torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before  # restored: the local LLM keeps its own count
    monkeypatch.setenv("SHOWRUNNER_EMBED_THREADS", "3")
    settings = load_settings(None, embedder="hash")
    assert settings.embed_threads == 3 and load_settings(None).embed_threads == 3
    assert make_embedder("minilm", threads=settings.embed_threads).get_config()["threads"] == 3  # not loaded
    mem = open_memory(_project(tmp_path / "s"), settings)
    assert mem._vecs("canon").threads == 3
    monkeypatch.delenv("SHOWRUNNER_EMBED_THREADS")
    assert load_settings(None).embed_threads == 1


def test_ann_mode_filters_unfiltered_hits_by_story_time(tmp_path: Path) -> None:
    cf = CanonFile.model_validate(small_canon())
    proj, _ = open_or_create(tmp_path / "s", cf)
    import_canon(proj, cf, index=False)
    exact = open_memory(proj, HASH)
    ann = open_memory(proj, load_settings(None, embedder="hash", memory_search="ann"))
    assert ann.search_mode == "ann" and not ann._vectors
    for query, ep in (("Tom drowns.", 4), ("Tom drowns.", 2), ("storm lantern", 3), ("the lamp", 1)):
        got = ann.search(query, episode=ep, k=3)
        assert [f.id for f in got] == [f.id for f in exact.search(query, episode=ep, k=3)]
        assert all(f.valid_from.key() <= (ep, -1) for f in got)
    pack = dict(episode=4, scene=1, characters=["Mira"], locations=["Beach"], query="who drowned")
    assert ann.retrieve(**pack).text == exact.retrieve(**pack).text
