"""The memory works against a real Chroma server (``chroma run`` on 127.0.0.1) as it does embedded."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from showrunner.config import load_settings
from showrunner.memory import open_memory
from showrunner.memory.canon import Canon
from showrunner.models import Bible, Character, Fact, FactKind, FixedLook, Location, SceneRef
from showrunner.pipelines.project import Project

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(exe).exists():
        pytest.skip("the chroma server CLI is not installed")
    port = _free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path_factory.mktemp("chroma")), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _series(root: Path) -> Project:
    proj = Project.create(root)
    canon = Canon(proj.canon_dir)
    canon.save_bible(Bible(title="Tide", logline="L", characters=[
        Character(name="Mira Vale", look=FixedLook(hair="silver bob")), Character(name="Oren Pike")],
        locations=[Location(name="Lamp Room", look="brass and glass")]))
    facts = [Fact(kind=FactKind.possession, subject="mira-vale", predicate="holds", object="storm lantern",
                  text="Mira holds the storm lantern."),
             Fact(kind=FactKind.status, subject="oren-pike", predicate="status", object="missing",
                  valid_from=SceneRef(episode=3, scene=2), text="Oren Pike is missing at sea."),
             Fact(kind=FactKind.event, subject="mira-vale", predicate="saw", object="the fog move",
                  valid_from=SceneRef(episode=2, scene=1), text="Mira saw the fog move against the wind.")]
    canon.add_facts(facts)
    return proj


def test_http_chroma_answers_like_the_embedded_index(chroma_url: str, tmp_path: Path) -> None:
    proj = _series(tmp_path / "s")
    args = dict(episode=4, scene=1, characters=["Mira Vale", "Oren Pike"], locations=["Lamp Room"],
                query="what did the fog do", budget_tokens=400)
    embedded = open_memory(proj, load_settings(None, embedder="hash"))
    want = embedded.retrieve(**args)
    remote = open_memory(proj, load_settings(None, embedder="hash", chroma_url=chroma_url))
    got = remote.retrieve(**args)
    assert [f.id for f in got.facts] == [f.id for f in want.facts] and got.text == want.text
    assert "missing" in got.text and "storm lantern" in got.text
    # the server holds the series' collections; a second open re-syncs instead of duplicating
    again = open_memory(proj, load_settings(None, embedder="hash", chroma_url=chroma_url))
    assert [f.id for f in again.retrieve(**args).facts] == [f.id for f in want.facts]
