"""Reference images as approved canon: made at the bible gate, versioned with the look, set by a person."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from render_sample import make_project, sample_bible, sample_shots

from showrunner.config import PRESETS, Preset, load_settings
from showrunner.memory.canon import Canon
from showrunner.models import Fact, FactKind, SceneRef
from showrunner.pipelines.provenance import verify
from showrunner.pipelines.references import RefStore, approve_references, draft_references


@pytest.fixture
def tiny_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWRUNNER_TINY_DIR", str(tmp_path_factory.getbasetemp() / "tiny"))
    monkeypatch.setitem(PRESETS, "draft", Preset(name="draft", width=64, height=48, steps=2, fps=4,
                                                 image_backend="diffusers", video_backend=None))


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SHOWRUNNER_"))}
    return subprocess.run([sys.executable, "-m", "showrunner.cli.main", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=120)


def test_gate_sheets_and_plates_come_from_the_configured_backend(tmp_path: Path, tiny_dir: None) -> None:
    pytest.importorskip("diffusers")
    bible = sample_bible()
    bible = bible.model_copy(update={"locations": bible.locations[:1]})  # the docks: plain and at night
    settings = load_settings(None, preset="draft", image_model="tiny-sd", device="cpu")
    listing, made = draft_references(tmp_path, settings, bible)
    assert [(r["entity"], r["variant"]) for r in listing] == [("ada-quill", ""), ("bruno", ""), ("captain-vell", ""),
                                                              ("harbor-docks", ""), ("harbor-docks", "night")]
    assert len(made) == 5 and {m["backend"] for m in made} == {"diffusers"}  # metered like any render
    side = json.loads(Path(listing[0]["path"]).with_suffix(".json").read_text())
    assert side["model"] == "tiny-sd" and "turnaround" in side["prompt"] and "blue overalls" in side["prompt"]
    assert verify(Path(listing[4]["path"]))["ai_generated"]
    again, made_again = draft_references(tmp_path, settings, bible)  # a resumed gate makes nothing twice
    assert again == listing and made_again == []


def test_rejected_notes_regenerate_and_approval_makes_canon_v1(tmp_path: Path) -> None:
    settings = load_settings(None, tts="none")  # the preview backend draws them
    bible = sample_bible()
    first, _ = draft_references(tmp_path, settings, bible)
    second, made = draft_references(tmp_path, settings, bible, ["make Ada older"])
    assert len(made) == len(first) == 7 and all("make Ada older" in r["prompt"] for r in second)
    assert {r["path"] for r in first}.isdisjoint(r["path"] for r in second)
    added, made = approve_references(tmp_path, settings, bible, ["make Ada older"])
    assert made == []  # the drafts shown are the ones approved
    assert [(r.entity, r.version, r.variant) for r in added][:4] == [
        ("ada-quill", 1, ""), ("bruno", 1, ""), ("captain-vell", 1, ""), ("harbor-docks", 1, "")]
    assert approve_references(tmp_path, settings, bible, ["make Ada older"])[0] == []  # once


def test_outfit_change_makes_sheet_v2_for_later_shots_only(tmp_path: Path, tiny_dir: None) -> None:
    pytest.importorskip("diffusers")
    from showrunner.pipelines.render import render_episode

    shots = [s for s in sample_shots() if s.id in ("s01-02", "s02-01")]
    project = make_project(tmp_path / "series", shots)
    Canon(project.canon_dir).add_facts([Fact(
        kind=FactKind.current_appearance, subject="ada-quill", predicate="outfit", object="red welding apron",
        valid_from=SceneRef(episode=1, scene=2), source="E1 S2")])
    settings = load_settings(project.root, preset="draft", image_model="tiny-sd", ip_adapter="tiny-ip-adapter",
                             device="cpu", tts="none")
    report = render_episode(project, settings, 1)
    store = RefStore(project.canon_dir / "references")
    ada = store.records("ada-quill")
    assert [(r.version, r.since) for r in ada] == [(1, {"episode": 1, "scene": 1}), (2, {"episode": 1, "scene": 2})]
    assert "red welding apron" in ada[1].look and "blue overalls" in ada[0].look
    used = {s.id: json.loads(Path(s.frame or "").with_suffix(".json").read_text())["references"]
            for s in report.shots}
    assert used["s01-02"]["ada-quill"].endswith("ada-quill/v1.png")
    assert used["s02-01"]["ada-quill"].endswith("ada-quill/v2.png")
    places = {loc.id for loc in sample_bible().locations}
    assert all(places & set(refs) for refs in used.values())  # each shot's location plate conditions it too
    story = json.loads(Path(report.outputs["story_json"]).read_text())
    assert [s["Reference Images"]["Ada Quill"]["version"] for s in story["Shots"]] == [1, 2]
    assert len(story["Characters"]["Ada Quill"]["images"]) == 2


def test_ref_set_on_a_fresh_project_with_the_preview_backend(tmp_path: Path) -> None:
    project = make_project(tmp_path / "series")
    Image.new("RGB", (40, 60), (200, 80, 20)).save(tmp_path / "ada.jpg")
    out = cli("ref", "set", "Ada", tmp_path / "ada.jpg", "-p", project.root, "--json")
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert (rec["entity"], rec["version"], rec["source"]) == ("ada-quill", 1, "human")
    check = verify(Path(rec["path"]))
    assert check["valid"] and not check["ai_generated"] and check["digital_source_type"] == "digitalCreation"
    with Image.open(rec["path"]) as im:
        assert im.format == "PNG" and im.size == (40, 60)  # re-encoded
    Image.new("RGB", (30, 30)).save(tmp_path / "plate.png")
    plate = cli("ref", "set", "Harbor Docks", tmp_path / "plate.png", "--time-of-day", "Dawn", "-p", project.root)
    assert plate.returncode == 0 and "location harbor-docks reference v1" in plate.stdout
    listed = json.loads(cli("ref", "list", "-p", project.root, "--json").stdout)
    assert [(r["entity"], r["variant"]) for r in listed] == [("ada-quill", ""), ("harbor-docks", "dawn")]
    Image.new("RGB", (8, 8)).save(tmp_path / "x.gif")
    (tmp_path / "x.txt").write_text("not an image")
    for args, says in ((("Nobody", tmp_path / "ada.jpg"), "no character or location named 'Nobody'"),
                       (("Ada", tmp_path / "x.gif"), "is a GIF image; use a PNG or JPEG"),
                       (("Ada", tmp_path / "x.txt"), "not a readable image")):
        bad = cli("ref", "set", *args, "-p", project.root)
        assert bad.returncode != 0 and says in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert len(RefStore(project.canon_dir / "references").records()) == 2  # nothing half-written
    from showrunner.pipelines.render import render_episode

    report = render_episode(project, load_settings(project.root, tts="none"), 1)
    shots = json.loads(Path(report.outputs["story_json"]).read_text())["Shots"]
    assert shots[1]["Reference Images"]["Ada Quill"] == {"id": "ada-quill", "version": 1, "path": rec["path"],
                                                         "source": "human"}
    assert shots[0]["Setting Reference"]["variant"] == "dawn" and shots[3]["Setting Reference"] is None


def test_a_lasting_mark_from_canon_changes_the_look_and_its_sheet_key() -> None:
    from showrunner.pipelines.references import character_key
    from showrunner.world import World

    bible = sample_bible()
    scar = Fact(kind=FactKind.fixed_appearance, subject="Captain Vell", predicate="marks",
                object="scar over left eye; burn scar on the right hand", valid_from=SceneRef(episode=2, scene=1))
    world = World(bible.characters, bible.locations, [scar])
    before, after = world.look("captain-vell", 1, 3), world.look("captain-vell", 2, 1)
    assert before is not None and after is not None
    assert before.look.marks == ["scar over left eye"]
    assert after.look.marks == ["scar over left eye", "burn scar on the right hand"]
    assert character_key(before) != character_key(after)
    assert character_key(before) == character_key(World(bible.characters, bible.locations, []).look(
        "captain-vell", 1, 3))  # the sheet's own mark, read back from its fact, is the same look
