"""Domain model, settings, project folder, lock and canon files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from showrunner.config import load_settings
from showrunner.errors import BadInput, ProjectError
from showrunner.io import read_jsonl
from showrunner.llm.base import LLMError, Prompt
from showrunner.memory.canon import Canon
from showrunner.models import (
    Bible,
    Character,
    Critique,
    Fact,
    FactKind,
    FixedLook,
    Location,
    LocationVariant,
    SceneRef,
    slugify,
)
from showrunner.pipelines.project import Project
from showrunner.testing import ScriptedLLM
from showrunner.world.timeline import merge_facts


@pytest.mark.parametrize("raw,expected", [
    ("../../etc/passwd", "etc-passwd"), ("Mira Okafor", "mira-okafor"), ("Zoë", "zoe"), ("   ", "item"),
    ("/", "item"), ("C:\\Windows\\system32", "c-windows-system32"),
])
def test_slugify_never_yields_a_path(raw: str, expected: str) -> None:
    assert slugify(raw) == expected
    assert "/" not in slugify(raw) and ".." not in slugify(raw)


def test_character_ids_come_from_names_not_the_model() -> None:
    c = Character(id="../../../root", name="Kai")
    assert c.id == "root"
    assert Character(name="../../etc/passwd").id == "etc-passwd"
    assert Location(name="Old Lighthouse", parent="The Coast").parent == "the-coast"


def test_canonical_look_joins_fixed_and_current_state() -> None:
    c = Character(name="Mira", look=FixedLook(hair="silver bob", eyes="green", marks=["scar on left cheek"]),
                  state={"outfit": "red flight jacket", "props": ["wrench"]})
    look = c.canonical_look()
    assert look.startswith("Mira (") and "silver bob" in look and "scar on left cheek" in look
    assert "red flight jacket" in look and "carrying wrench" in look
    assert Character(name="Bare").canonical_look() == "Bare"


def test_location_variant_lookup_is_case_insensitive() -> None:
    loc = Location(name="Dock", look="wet planks", variants=[LocationVariant(when="Night", look="sodium lamps")])
    assert loc.look_at("night") == "Dock, night: sodium lamps"
    assert loc.look_at("noon") == "Dock: wet planks"


def test_fact_validity_interval_is_half_open() -> None:
    f = Fact(kind=FactKind.status, subject="kai", predicate="status", object="dead",
             valid_from=SceneRef(episode=3, scene=4), valid_until=SceneRef(episode=7, scene=1))
    assert not f.holds_at(SceneRef(episode=3, scene=3))
    assert f.holds_at(SceneRef(episode=3, scene=4))
    assert f.holds_at(SceneRef(episode=6))
    assert not f.holds_at(SceneRef(episode=7, scene=1))


def test_bible_finds_characters_by_id_name_or_alias() -> None:
    b = Bible(title="T", logline="L", characters=[Character(name="Mira Okafor", aliases=["Captain"])])
    assert b.character("mira-okafor") is b.character("Captain") is b.characters[0]
    assert b.character("Nobody") is None


def test_settings_precedence_and_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"model": "from-file", "preset": "draft"}))
    monkeypatch.setenv("SHOWRUNNER_MODEL", "from-env")
    s = load_settings(tmp_path, preset="full")
    assert (s.model, s.preset, s.render.steps) == ("from-env", "full", 30)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert load_settings(None).provider_name() == "local"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert load_settings(None).provider_name() == "openai"
    with pytest.raises(BadInput, match="invalid setting preset"):
        load_settings(None, preset="ultra")
    (tmp_path / "settings.json").write_text("{not json")
    with pytest.raises(BadInput, match="cannot read"):
        load_settings(tmp_path)


def test_project_create_refuses_foreign_folders(tmp_path: Path) -> None:
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("mine")
    with pytest.raises(ProjectError, match="not a series"):
        Project.create(tmp_path / "stuff")
    p = Project.create(tmp_path / "series", premise="x")
    assert Project.open(p.root).meta()["premise"] == "x"
    with pytest.raises(ProjectError, match="already holds a series"):
        Project.create(p.root)
    with pytest.raises(ProjectError, match="not a showrunner series"):
        Project.open(tmp_path / "stuff")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_project_create_in_read_only_folder(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ProjectError, match="cannot write"):
            Project.create(ro / "series")
    finally:
        ro.chmod(0o700)


def test_canon_round_trip_and_digest(tmp_path: Path) -> None:
    canon = Canon(tmp_path / "canon")
    assert not canon.has_bible()
    with pytest.raises(ProjectError, match="no approved bible"):
        canon.bible()
    bible = Bible(title="Tide", logline="L", characters=[Character(name="Mira")], locations=[Location(name="Dock")])
    canon.save_bible(bible)
    d1 = canon.digest()
    assert canon.bible() == bible
    canon.save_bible(bible)
    assert canon.digest() == d1  # idempotent, byte-identical
    (tmp_path / "canon" / "characters" / "mira.json").write_text("{broken")
    with pytest.raises(ProjectError, match="canon file .*mira.json is invalid"):
        canon.characters()


def test_merge_facts_supersedes_single_valued_facts_only() -> None:
    alive = Fact(kind=FactKind.status, subject="kai", predicate="status", object="alive")
    dead = Fact(kind=FactKind.status, subject="kai", predicate="status", object="dead",
                valid_from=SceneRef(episode=3, scene=2))
    sib = Fact(kind=FactKind.relationship, subject="kai", predicate="sibling", object="mira")
    sib2 = Fact(kind=FactKind.relationship, subject="kai", predicate="sibling", object="jon",
                valid_from=SceneRef(episode=2))
    merged = merge_facts([alive, sib], [dead, sib2, dead])
    assert len(merged) == 4 and all(f.id for f in merged)
    by_obj = {f.object: f for f in merged}
    assert by_obj["alive"].valid_until == SceneRef(episode=3, scene=2)
    assert by_obj["dead"].valid_until is None
    assert by_obj["mira"].valid_until is None  # relationships are multi-valued


def test_scripted_llm_validates_and_records() -> None:
    bad = {"scores": {"pacing": 99}}  # invalid twice: the first reply and the repair retry
    llm = ScriptedLLM().enqueue({"verdict": "revise", "notes": ["tighten act 2"]}, bad, bad)
    gen = llm.generate(Prompt.plain("judge this", id="critic/critique", version=1), Critique)
    assert gen.value.verdict == "revise" and gen.usage.prompt_id == "critic/critique"
    assert gen.usage.prompt_tokens > 0
    with pytest.raises(LLMError, match="after a repair retry: scores.pacing: .*less than or equal to 10"):
        llm.generate(Prompt.plain("again"), Critique)
    with pytest.raises(LLMError, match="no answer queued"):
        llm.generate(Prompt.plain("third"), Critique)
    assert [r.text for r in llm.calls()] == ["judge this", "again", "third"]


def test_read_jsonl_skips_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}\n{"c": ')
    assert read_jsonl(path) == [{"a": 1}, {"b": 2}]
