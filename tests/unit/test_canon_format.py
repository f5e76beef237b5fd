"""The canon import format: reading, one-line errors, derived facts, import/export round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from memory_samples import small_canon

from showrunner.errors import BadInput
from showrunner.memory.canon import Canon
from showrunner.memory.canon_format import (
    canon_json_schema,
    export_canon,
    import_canon,
    read_canon_file,
    write_canon_file,
)
from showrunner.memory.canon_io import open_or_create, resolve_file
from showrunner.models import CanonFile, FactKind, SceneRef
from showrunner.world.facts import derive_facts
from showrunner.world.timeline import established_at


def _write(tmp_path: Path, data: object, name: str = "canon.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), encoding="utf-8")
    return path


def _status(facts, who: str, ep: int, sc: int | None) -> str:
    return next(f.object for f in facts if f.kind == FactKind.status and f.subject == who
                and f.holds_at(SceneRef(episode=ep, scene=sc)))


def test_bad_files_give_one_line_errors(tmp_path: Path) -> None:
    cases = {
        "missing": (tmp_path / "nope.json", "does not exist"),
        "json": (_write(tmp_path, '{"series": {\n  "title": "x",,\n}', "a.json"), "line 2 column"),
        "schema": (_write(tmp_path, {"series": {"title": "x"}, "characters": [{"aliases": []}]}, "b.json"),
                   "characters[0].name"),
        "typo": (_write(tmp_path, {"series": {"title": "x"}, "charaters": []}, "c.json"), "charaters"),
        "format": (_write(tmp_path, {"format": "other", "series": {"title": "x"}}, "d.json"), "not a showrunner"),
        "death": (_write(tmp_path, {"series": {"title": "x"}, "characters": [
            {"name": "A", "deaths": [{"episode": "three"}]}]}, "e.json"), "characters[0].deaths[0].episode"),
    }
    for name, (path, needle) in cases.items():
        with pytest.raises(BadInput) as err:
            read_canon_file(path)
        assert needle in str(err.value), name
        assert "\n" not in str(err.value)


def test_derived_facts_follow_deaths_returns_and_whereabouts(tmp_path: Path) -> None:
    cf, warnings = resolve_file(CanonFile.model_validate(small_canon()))
    assert warnings == []
    facts = derive_facts(cf)
    assert _status(facts, "tom-vale", 3, 2) == "alive"  # on screen in the scene he dies in
    assert _status(facts, "tom-vale", 3, 3) == "dead"
    assert _status(facts, "tom-vale", 4, None) == "dead"
    assert _status(facts, "tom-vale", 5, 1) == "returned"
    assert _status(facts, "ada", 2, 9) == "alive" and _status(facts, "ada", 3, None) == "missing"
    dead = next(f for f in facts if f.object == "dead")
    assert established_at(dead) == SceneRef(episode=3, scene=2)
    # relations resolved through aliases; sub-location link; fixed traits one fact each
    assert {(f.subject, f.predicate, f.object) for f in facts if f.kind == FactKind.relationship} >= {
        ("mira-vale", "sibling", "tom-vale"), ("tom-vale", "parent", "ada"),
        ("lamp-room", "inside", "the-lighthouse")}
    hair = [f for f in facts if f.kind == FactKind.fixed_appearance and f.predicate == "hair"]
    assert {f.subject: f.object for f in hair} == {"mira-vale": "short silver hair", "tom-vale": "red curls"}
    # whereabouts: superseded scene by scene, flashbacks never move anyone
    mira_at = [f for f in facts if f.kind == FactKind.whereabouts and f.subject == "mira-vale"]
    assert [(str(f.valid_from), f.object, f.valid_until and str(f.valid_until)) for f in mira_at] == [
        ("E1 S1", "lamp-room", "E1 S2"), ("E1 S2", "beach", "E3 S2"), ("E3 S2", "beach", None)]
    # "Guard" is shared by two characters: scenes resolve by alias or id, never by the generic name
    assert {f.subject for f in facts if f.kind == FactKind.whereabouts} >= {"guard-1", "guard-2"}
    assert any(f.object == "brass key" and f.predicate == "holds" for f in facts)
    assert any(f.kind == FactKind.event and "wrecked boat" in f.text for f in facts)


def test_ambiguous_and_undeclared_names() -> None:
    data = small_canon()
    data["episodes"][0]["scenes"][0]["characters"].append("Guard")
    with pytest.raises(BadInput, match="ambiguous"):
        resolve_file(CanonFile.model_validate(data))
    data = small_canon()
    data["episodes"][0]["scenes"][1]["characters"].append("Stranger")
    cf, warnings = resolve_file(CanonFile.model_validate(data))
    assert any("Stranger" in w for w in warnings) and any(c.id == "stranger" for c in cf.characters)
    data = small_canon()
    data["characters"].append({"name": "Mira Vale"})
    with pytest.raises(BadInput, match="share the id"):
        resolve_file(CanonFile.model_validate(data))


def test_round_trip_import_export_import_loses_nothing(tmp_path: Path) -> None:
    src = _write(tmp_path, small_canon())
    first, _ = open_or_create(tmp_path / "p1", read_canon_file(src))
    import_canon(first, read_canon_file(src), index=False)
    exported = tmp_path / "export.json"
    write_canon_file(export_canon(first), exported)

    again = read_canon_file(exported)
    second, _ = open_or_create(tmp_path / "p2", again)
    import_canon(second, again, index=False)
    assert Canon(first.canon_dir).digest() == Canon(second.canon_dir).digest()
    assert export_canon(second) == export_canon(first)

    cf = export_canon(second)
    tom = next(c for c in cf.characters if c.id == "tom-vale")
    assert tom.deaths == [SceneRef(episode=3, scene=2)] and tom.returns == [SceneRef(episode=5, scene=1)]
    assert {(r.kind, r.target) for r in tom.relations} == {("sibling", "mira-vale"), ("parent", "ada")}
    assert next(c for c in cf.characters if c.id == "ada").missing == [SceneRef(episode=2)]
    assert next(loc for loc in cf.locations if loc.id == "lamp-room").parent == "the-lighthouse"
    ep5 = next(e for e in cf.episodes if e.number == 5)
    assert ep5.scenes[0].dialogue[0].text == "I'm back." and ep5.scenes[0].dialogue[0].speaker == "tom-vale"
    assert [f.text for f in cf.facts] == ["Tom carries a storm lantern."]  # implied facts are not repeated
    # importing the export into the original project changes nothing
    before = Canon(first.canon_dir).digest()
    import_canon(first, again, index=False)
    assert Canon(first.canon_dir).digest() == before


def test_schema_describes_the_file() -> None:
    schema = canon_json_schema()
    assert {"series", "characters", "locations", "facts", "episodes"} <= set(schema["properties"])
    assert "deaths" in schema["$defs"]["CanonCharacter"]["properties"]
