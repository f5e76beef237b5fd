"""``showrunner canon import|export|schema`` and ``showrunner memory rebuild|query`` end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from memory_samples import small_canon

from showrunner.cli.main import main
from showrunner.memory.canon import Canon
from showrunner.testing import HashEmbedder


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_canon_and_memory_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWRUNNER_EMBEDDER", "hash")
    assert HashEmbedder.name() == "showrunner-hash"
    src = tmp_path / "world.json"
    src.write_text(json.dumps(small_canon()), encoding="utf-8")
    proj = tmp_path / "series"

    code, out, err = _run(capsys, "canon", "import", str(src), "--project", str(proj), "--json")
    report = json.loads(out)
    assert code == 0 and report["created"] and report["scenes"] == 6 and report["indexed"] > 20

    code, out, _ = _run(capsys, "canon", "export", str(tmp_path / "out.json"), "-p", str(proj))
    assert code == 0 and json.loads((tmp_path / "out.json").read_text())["format"] == "showrunner-canon"
    code, out, _ = _run(capsys, "canon", "schema")
    assert code == 0 and "CanonCharacter" in json.loads(out)["$defs"]

    query = ("memory", "query", "who drowned at sea", "--episode", "4", "-c", "Mira", "-p", str(proj), "--json")
    code, out, _ = _run(capsys, *query)
    before = json.loads(out)
    assert code == 0 and before["facts"][0]["kind"] == "status" and before["tokens"] <= 600
    shutil.rmtree(proj / "memory")
    code, out, _ = _run(capsys, "memory", "rebuild", "-p", str(proj), "--json")
    assert code == 0 and json.loads(out)["facts"] == len(Canon(proj / "canon").facts())
    code, out, _ = _run(capsys, *query)
    assert json.loads(out) == before  # same retrieval after deleting and rebuilding the index

    # a second import of the export into the same series changes nothing
    digest = Canon(proj / "canon").digest()
    code, out, err = _run(capsys, "canon", "import", str(tmp_path / "out.json"), "-p", str(proj), "--json")
    assert code == 0 and not json.loads(out)["created"] and Canon(proj / "canon").digest() == digest


def test_bad_input_is_one_line_and_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"series": {"title": "x"}, "episodes": [{"number": 1, "title": "a", "scenes": [\n'
                   '{"number": 1, "location": "Hall", "characters": ["Guard"]}]}], "characters": [\n'
                   '{"id": "g1", "name": "Guard"}, {"id": "g2", "name": "Guard"}]}', encoding="utf-8")
    for path, needle in ((bad, "ambiguous"), (tmp_path / "missing.json", "does not exist")):
        code, _, err = _run(capsys, "canon", "import", str(path), "-p", str(tmp_path / "new"))
        assert code == 2 and err.startswith("error: ") and needle in err and err.count("\n") == 1
        assert not (tmp_path / "new").exists()
    code, _, err = _run(capsys, "memory", "rebuild", "-p", str(tmp_path / "none"))
    assert code == 3 and "not" in err
