"""The graph checkpoints into a real PostgreSQL server (started by the test on 127.0.0.1) when configured."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from showrunner.memory.canon import Canon
from showrunner.pipelines import series
from showrunner.testing import ScriptedLLM, story_responder

pytestmark = pytest.mark.integration

PREMISE = "A lighthouse keeper's daughter learns the fog is alive"


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    pytest.importorskip("langgraph.checkpoint.postgres")
    bindir = _pg_bin()
    if bindir is None or (os.geteuid() == 0 and shutil.which("su") is None):
        pytest.skip("PostgreSQL server binaries not found")
    # not under pytest's tmp: that is private to the test user, and the server runs as 'postgres'
    base = Path(tempfile.mkdtemp(prefix="showrunner-pg-"))
    data = base / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data.parent, "postgres")
        shutil.chown(data, "postgres")
    port = _free_port()
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w", "-l",
                                 str(data / "log"), "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres?sslmode=disable"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_series_checkpoints_in_postgres_and_resumes_from_them(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    monkeypatch.setenv("SHOWRUNNER_DATABASE_URL", database_url)
    monkeypatch.setenv("SHOWRUNNER_EMBEDDER", "hash")
    root = tmp_path / "series"
    _, res = series.new_series(root, PREMISE, 1, llm=ScriptedLLM(story_responder))
    assert res["pending"]["gate"] == "bible"
    assert not (root / "state" / "checkpoints.sqlite").exists()  # nothing went to SQLite
    with psycopg.connect(database_url) as conn:
        n = conn.execute("select count(*) from checkpoints").fetchone()
        assert n is not None and n[0] > 0
    # a later process (new saver, new connection) resumes the same thread from the database
    llm = ScriptedLLM(story_responder)
    res = series.continue_series(root, {"action": "approve"}, llm=llm)
    assert res["pending"]["gate"] == "script" and res["pending"]["episode"] == 1
    assert not llm.calls("writer/bible")  # the finished bible step was not repeated
    assert Canon(root / "canon").has_bible()
