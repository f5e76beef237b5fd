"""One run per project at a time: an OS-level lock held for the whole run, and a record of who holds it.

The lock is ``fcntl.flock`` on ``<project>/.lock`` through the ``filelock`` package. The kernel gives it
to one process at a time, however many start at the same instant, and drops it when its holder dies
(``kill -9`` included), so there is no stale lock to recover and no lock file to delete: the file stays
in place so that every process locks the same inode.

Who holds it is written beside it, atomically, to ``<project>/state/run.json``: the command (e.g.
``showrunner approve``), pid, host and start time; on the way out the record gets ``ended`` (and
``error`` when the run failed). A record without ``ended`` whose process is gone is a run that was
killed: :func:`last_run` calls it ``interrupted`` and ``status`` points to ``showrunner resume``.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import Timeout, UnixFileLock

from showrunner.errors import ProjectError, ShowrunnerError
from showrunner.io import atomic_write

RECORD = Path("state") / "run.json"


@contextmanager
def hold(root: Path, command: str) -> Iterator[dict[str, Any]]:
    """Hold ``root``'s run lock for the block, or raise :class:`ProjectError` naming the holder."""
    lock = UnixFileLock(root / ".lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        holder = read_record(root) or {}
        who = f"{holder.get('command', 'another run')} (pid {holder.get('pid', '?')})"
        raise ProjectError(f"{root} is busy: {who} holds the lock; wait for it to finish") from None
    except OSError as exc:
        raise ProjectError(f"cannot lock {root / '.lock'}: {exc.strerror or exc}; check the project "
                           "folder's permissions") from exc
    record: dict[str, Any] = {"command": command, "pid": os.getpid(), "host": socket.gethostname(),
                              "since": round(time.time(), 3)}
    try:
        _write(root, record)
        try:
            yield record
        except BaseException as exc:
            text = str(exc) if isinstance(exc, ShowrunnerError) else type(exc).__name__
            record["error"] = " ".join(text.split())[:300]
            raise
        finally:
            record["ended"] = round(time.time(), 3)
            _write(root, record)
    finally:
        lock.release()


def _write(root: Path, record: dict[str, Any]) -> None:
    atomic_write(root / RECORD, json.dumps(record, indent=2) + "\n")


def read_record(root: Path) -> dict[str, Any] | None:
    """The last run's record (None when no run has taken the lock yet or the record is unreadable)."""
    try:
        data = json.loads((root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def last_run(root: Path) -> dict[str, Any] | None:
    """The last run's record with a ``state``: ``running``, ``finished``, ``failed`` or ``interrupted``."""
    record = read_record(root)
    if record is None:
        return None
    if "ended" in record:
        state = "failed" if record.get("error") else "finished"
    else:
        state = "running" if _alive(record) else "interrupted"
    return {**record, "state": state}


def _alive(record: dict[str, Any]) -> bool:
    """Whether the recorded process still runs (another host's run is taken as alive)."""
    pid = record.get("pid")
    if not isinstance(pid, int):
        return False
    if record.get("host") != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is dead
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True
