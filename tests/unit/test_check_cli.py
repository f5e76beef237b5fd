"""``showrunner check``: the examples/ must-show command, JSON shape, project mode, exit codes; semantic pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from showrunner.cli.main import main
from showrunner.continuity import check_episode
from showrunner.continuity.semantic import ClaimSet
from showrunner.memory.canon_format import read_canon_file
from showrunner.memory.canon_io import import_canon, open_or_create
from showrunner.models import Episode
from showrunner.testing import ScriptedLLM
from showrunner.world.facts import derive_facts

ROOT = Path(__file__).resolve().parents[2]
CANON = ROOT / "examples" / "lighthouse" / "canon.json"
EP5 = ROOT / "examples" / "lighthouse" / "episode-05.json"


def cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_examples_readme_command_exits_1_and_flags_only_the_speaking_scene():
    readme = (ROOT / "examples" / "README.md").read_text()
    command = "showrunner check examples/lighthouse/episode-05.json --canon examples/lighthouse/canon.json"
    assert command in readme
    exe = Path(sys.executable).with_name("showrunner")
    env = {**os.environ, "SHOWRUNNER_LLM": "local", "COLUMNS": "200"}
    proc = subprocess.run([str(exe), *command.split()[1:], "--json"], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert [(f["code"], f["scene"], f["line"]) for f in findings] == [("dead_character_speaks", 1, 1)]
    assert findings[0]["established"] == {"episode": 3, "scene": 2}
    assert "dies in E3 S2" in findings[0]["fact"]
    human = subprocess.run([str(exe), *command.split()[1:]], cwd=ROOT, capture_output=True, text=True, env=env,
                           timeout=120)
    assert human.returncode == 1 and "dead_character_speaks" in human.stdout and "E5 S1" in human.stdout


def test_json_shape_and_clean_canon_file_exits_0(capsys):
    code, out, _ = cli("check", str(CANON), "--json", "--no-semantic", capsys=capsys)
    data = json.loads(out)
    assert code == 0 and data == {"findings": [], "episodes": [1, 2, 3, 4], "errors": 0, "warnings": 0}
    code, out, _ = cli("check", str(EP5), "--canon", str(CANON), "--json", "--no-semantic", capsys=capsys)
    finding = json.loads(out)["findings"][0]
    assert code == 1 and set(finding) >= {"code", "severity", "episode", "scene", "shot", "line", "message", "fact",
                                          "fact_id", "established", "suggestion", "source"}


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    code, _, err = cli("check", str(tmp_path / "missing.json"), capsys=capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith("error:")
    bad = tmp_path / "bad.json"
    bad.write_text('{"number": "x"}')
    code, _, err = cli("check", str(bad), "--canon", str(CANON), capsys=capsys)
    assert code == 2 and "neither a canon file nor an episode" in err
    code, _, err = cli("check", str(EP5), capsys=capsys)
    assert code == 2 and "--project" in err
    code, _, err = cli("check", str(CANON), "--episode", "9", capsys=capsys)
    assert code == 2 and "no episode 9" in err


def test_project_mode_episode_file_and_episode_number(tmp_path, capsys):
    cf = read_canon_file(CANON)
    proj, _ = open_or_create(tmp_path / "series", cf)
    import_canon(proj, cf, index=False)
    code, out, _ = cli("check", str(EP5), "--project", str(proj.root), "--json", "--no-semantic", capsys=capsys)
    assert code == 1 and [f["scene"] for f in json.loads(out)["findings"]] == [1]
    code, out, _ = cli("check", "--episode", "4", "--project", str(proj.root), "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["episodes"] == [4]


def test_semantic_pass_adds_findings_from_claims_and_keeps_deterministic_ones():
    cf = read_canon_file(CANON)
    ep = Episode.model_validate_json(EP5.read_text())
    claims = ClaimSet.model_validate({"claims": [
        {"scene": 3, "line": 0, "subject": "Mira Varn", "attribute": "hair", "value": "short blonde",
         "quote": "her short blonde hair"},
        {"scene": 3, "subject": "Tobias Crane", "attribute": "eyes", "value": "dark", "quote": "dark eyes"},
        {"scene": 2, "subject": "Elias Varn", "attribute": "status", "value": "alive"},  # flashback: skipped
    ]})
    llm = ScriptedLLM().enqueue(claims)
    out = check_episode(ep, characters=list(cf.characters), locations=cf.locations, facts=derive_facts(cf), llm=llm)
    assert [(f.code, f.scene, f.source) for f in out] == [
        ("dead_character_speaks", 1, "deterministic"), ("semantic_hair", 3, "semantic")]
    assert out[1].severity == "warning" and "red" in (out[1].fact or "")
    request = llm.calls("continuity/claims")[0]
    assert request.prompt.version == 1 and "Keep the light burning" in request.text
    assert "Years ago" not in request.text  # the flashback is not sent


def test_semantic_pass_is_skipped_for_the_tiny_local_model():
    cf = read_canon_file(CANON)
    ep = Episode.model_validate_json(EP5.read_text())
    tiny = ScriptedLLM(model="SmolLM2-135M-Instruct")
    tiny.provider = "local"  # type: ignore[misc]
    out = check_episode(ep, characters=list(cf.characters), locations=cf.locations, facts=derive_facts(cf), llm=tiny)
    assert tiny.requests == [] and [f.code for f in out] == ["dead_character_speaks"]


def _seasonal_canon(tmp_path: Path) -> Path:
    """A two-season canon in the real-series input format: seasons, HH:MM story time, cast as objects."""
    data = {
        "series": {"title": "Tidewatch"},
        "characters": [{"name": "Mira Vance", "look": {"hair": "salt-white braid"}},
                       {"name": "Jonas Reed", "deaths": [{"season": 2, "episode": 1, "scene": 2}]}],
        "locations": [{"name": "Harbour"}, {"name": "Lamp Room"}],
        "facts": [{"kind": "possession", "subject": "the tide key", "predicate": "status", "object": "destroyed",
                   "valid_from": {"season": 1, "episode": 2, "scene": 2}, "source": "E2 S1: destroyed"}],
        "episodes": [
            {"season": 1, "episode": 1, "title": "Fog", "scenes": [
                {"number": 1, "location": "Harbour", "characters": [{"name": "Mira Vance"}, {"name": "Jonas Reed"}],
                 "start": "06:00", "end": "07:30", "summary": "Mira and Jonas tie up the boats."}]},
            {"season": 1, "episode": 2, "title": "Key", "scenes": [
                {"number": 1, "location": "Lamp Room", "characters": ["Mira Vance"], "start": "21:00", "end": "22:00",
                 "summary": "Mira smashes the tide key against the lens."}]},
            {"season": 2, "episode": 1, "title": "Storm", "scenes": [
                {"number": 1, "location": "Harbour", "characters": ["Jonas Reed"], "start": "day 2 01:00",
                 "summary": "Jonas bails water alone."},
                {"number": 2, "location": "Harbour", "characters": ["Jonas Reed"],
                 "summary": "The wave takes Jonas."}]},
        ]}
    path = tmp_path / "tidewatch.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_real_series_format_checks_clean_against_itself(tmp_path, capsys):
    canon = _seasonal_canon(tmp_path)
    cf = read_canon_file(canon)
    assert [e.number for e in cf.episodes] == [1, 2, 3] and cf.episodes[2].season == 2
    assert cf.characters[1].deaths[0].episode == 3 and cf.episodes[2].scenes[0].start == 25.0
    code, out, _ = cli("check", str(canon), "--json", "--no-semantic", capsys=capsys)
    assert code == 0 and json.loads(out)["findings"] == []


def test_destroyed_item_used_again_exits_1_with_structured_fields(tmp_path, capsys):
    canon = _seasonal_canon(tmp_path)
    ep = {"season": 2, "episode": 2, "number": 4, "title": "After", "scenes": [
        {"number": 1, "location": "Harbour", "characters": ["Mira Vance"],
         "summary": "Mira unlocks the sea gate with the tide key."}]}
    path = tmp_path / "s2e2.json"
    path.write_text(json.dumps(ep), encoding="utf-8")
    code, out, _ = cli("check", str(path), "--canon", str(canon), "--json", "--no-semantic", capsys=capsys)
    found = json.loads(out)["findings"]
    assert code == 1, found
    f = next(f for f in found if f["code"] == "lost_item_reappears")
    assert (f["kind"], f["severity"], f["episode"], f["scene"], f["item"]) == (
        "possession", "error", 4, 1, "tide key")
    assert f["characters"] == ["mira-vance"] and f["fact_id"] and f["established"] == {"episode": 2, "scene": 1}
