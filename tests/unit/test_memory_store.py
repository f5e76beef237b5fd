"""The chroma memory: retrieval priorities, flat token budget, draft space, rebuild and self-healing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from memory_samples import generate, small_canon

from showrunner.config import load_settings
from showrunner.memory import Canon, open_memory
from showrunner.memory.canon_format import import_canon
from showrunner.memory.canon_io import open_or_create
from showrunner.memory.chroma_store import ChromaMemory
from showrunner.models import CanonFile, Fact, FactKind, SceneRef
from showrunner.pipelines.project import Project

HASH = load_settings(None, embedder="hash")


def _project(tmp_path: Path, data: dict | CanonFile) -> Project:
    cf = data if isinstance(data, CanonFile) else CanonFile.model_validate(data)
    proj, _ = open_or_create(tmp_path / "series", cf)
    import_canon(proj, cf, settings=HASH)
    return proj


def _ids(pack) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.id for f in pack.facts]


def test_retrieval_puts_on_screen_hard_facts_first(tmp_path: Path) -> None:
    mem = open_memory(_project(tmp_path, small_canon()), HASH)
    pack = mem.retrieve(episode=4, scene=1, characters=["Mira", "Tom"], locations=["Beach"],
                        query="who keeps the lamp burning", budget_tokens=2000)
    kinds = [f.kind for f in pack.facts]
    assert kinds[0] == FactKind.status and pack.facts[0].subject == "mira-vale"
    assert ("tom-vale", "dead") in {(f.subject, f.object) for f in pack.facts if f.kind == FactKind.status}
    hard_end = max(i for i, f in enumerate(pack.facts) if f.subject in {"mira-vale", "tom-vale", "beach"}
                   and f.kind not in (FactKind.event,))
    assert kinds.index(FactKind.world_rule) > kinds.index(FactKind.fixed_appearance)
    assert any(f.kind == FactKind.event for f in pack.facts[hard_end - 3:])
    assert "The lamp must never go out." in pack.text  # semantic neighbour of the query
    assert len({f.id for f in pack.facts}) == len(pack.facts)  # deduplicated
    # a small budget keeps the highest-priority facts only
    small = mem.retrieve(episode=4, scene=1, characters=["Mira"], query="lamp", budget_tokens=60)
    assert small.tokens <= 60 and small.truncated and small.facts[0].kind == FactKind.status
    # the dead return: status at E5 S1 is 'returned'
    back = mem.retrieve(episode=5, scene=1, characters=["Tom"], budget_tokens=400)
    assert next(f.object for f in back.facts if f.kind == FactKind.status) == "returned"


def test_prompt_size_is_flat_from_episode_2_to_50(tmp_path: Path) -> None:
    cf = generate(0.15, episodes=50, scenes_per_ep=6)
    mem = open_memory(_project(tmp_path, cf), HASH)
    cast = [c.id for c in cf.characters[:3]]
    sizes = {}
    for budget in (600, 10**6):
        for ep in (2, 50):
            pack = mem.retrieve(episode=ep, scene=3, characters=cast, locations=["the-harbour"],
                                query="a coded letter at the harbour", budget_tokens=budget)
            sizes[budget, ep] = pack.tokens
    assert sizes[600, 2] <= 600 and sizes[600, 50] <= 600
    assert sizes[600, 50] <= sizes[600, 2] + 60
    # without a budget the pack is still bounded by the scene, not the history (~25x more facts by E50)
    assert sizes[10**6, 50] <= 1.5 * sizes[10**6, 2]
    history = [f.valid_from.episode for f in mem.index().facts()]
    assert sum(1 <= e < 50 for e in history) > 10 * sum(1 <= e < 2 for e in history)  # history grew >10x


def test_draft_space_never_answers_a_canon_query(tmp_path: Path) -> None:
    mem = open_memory(_project(tmp_path, small_canon()), HASH)
    secret = Fact(kind=FactKind.event, subject="mira-vale", predicate="event", object="crowned",
                  valid_from=SceneRef(episode=4), text="Mira is secretly crowned queen of the sea.")
    mem.add_facts([secret], space="draft")
    canon = mem.retrieve(episode=6, characters=["Mira"], query="crowned queen of the sea", budget_tokens=5000)
    assert "queen" not in canon.text and secret.text not in [f.text for f in mem.world_state(6)]
    assert mem.search("crowned queen of the sea", episode=6) and "queen" not in " ".join(
        f.text for f in mem.search("crowned queen of the sea", episode=6, k=50))
    drafts = mem.retrieve(episode=6, characters=["Mira"], query="crowned queen of the sea", budget_tokens=5000,
                          include_drafts=True)
    assert "queen" in drafts.text and "DRAFT" in drafts.text
    mem.clear(space="draft")
    assert "queen" not in mem.retrieve(episode=6, query="queen", include_drafts=True, budget_tokens=5000).text


def test_deleted_or_corrupted_index_is_rebuilt_with_same_results(tmp_path: Path) -> None:
    proj = _project(tmp_path, small_canon())
    args = dict(episode=4, scene=1, characters=["Mira"], locations=["Lamp Room"], query="storm lantern",
                budget_tokens=500)
    mem = open_memory(proj, HASH)
    before = mem.retrieve(**args)
    mem.close()  # as when the process that wrote it has ended
    shutil.rmtree(proj.memory_dir)
    mem = open_memory(proj, HASH)
    assert _ids(mem.retrieve(**args)) == _ids(before)
    mem.close()
    for f in proj.memory_dir.rglob("*"):
        if f.is_file():
            f.write_bytes(b"\x00garbage" * 100)
    healed = open_memory(proj, HASH)
    assert _ids(healed.retrieve(**args)) == _ids(before) and healed.retrieve(**args).text == before.text
    assert healed.rebuild() == len(Canon(proj.canon_dir).facts())


def test_stale_index_syncs_with_canon_edits(tmp_path: Path) -> None:
    proj = _project(tmp_path, small_canon())
    mem = open_memory(proj, HASH)
    Canon(proj.canon_dir).add_facts([Fact(kind=FactKind.current_appearance, subject="mira-vale",
                                          predicate="outfit", object="black diving suit",
                                          valid_from=SceneRef(episode=4), text="Mira wears a black diving suit.")])
    fresh = open_memory(proj, HASH)
    outfits = [f.object for f in fresh.world_state(4, 2) if f.predicate == "outfit"]
    assert outfits == ["black diving suit"]
    assert [f.object for f in fresh.world_state(3, 2) if f.predicate == "outfit"] == ["yellow raincoat"]
    assert isinstance(mem, ChromaMemory)


@pytest.mark.slow
def test_minilm_finds_meaning_not_just_words(tmp_path: Path) -> None:
    mem = open_memory(_project(tmp_path, small_canon()), load_settings(None, embedder="minilm"))
    hits = mem.search("Who died at sea?", episode=4, k=3)
    assert any("drowns" in f.text for f in hits)
    reopened = json.loads((tmp_path / "series" / "project.json").read_text())
    assert reopened["format"] == "showrunner-project"
