"""Run ``showrunner nightly`` every night: a crontab line or a systemd user timer.

``install`` is idempotent: it replaces this project's entry, never duplicates it, and leaves every other
crontab line alone. Entries are found by a marker holding a short hash of the project path. The systemd
backend is chosen when ``systemctl --user`` answers (a user manager runs); otherwise cron. ``--print``
mode touches nothing and prints what would be installed, for people who run their own scheduler.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from showrunner.errors import BadInput, ServiceError
from showrunner.io import atomic_write
from showrunner.pipelines.project import Project

Backend = Literal["cron", "systemd"]
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str, option: str = "--at") -> tuple[int, int]:
    """``"02:00"`` → ``(2, 0)``; anything else is a one-line :class:`BadInput`."""
    m = _HHMM.match(text.strip())
    if not m:
        raise BadInput(f"{option} {text!r} is not a time; use HH:MM in 24-hour form, e.g. {option} 02:00")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class Plan:
    """What ``install`` writes for one project."""

    backend: Backend
    command: str
    cron_line: str
    unit_name: str
    service: str
    timer: str


def _key(project: Project) -> str:
    return hashlib.sha1(str(project.root).encode()).hexdigest()[:10]


def marker(project: Project) -> str:
    return f"# showrunner-nightly {_key(project)}"


def nightly_command(project: Project, extra: str = "") -> str:
    """Shell command the scheduler runs (absolute interpreter, output appended to logs/nightly.log)."""
    root = shlex.quote(str(project.root))
    log = shlex.quote(str(project.root / "logs" / "nightly.log"))
    cmd = f"{shlex.quote(sys.executable)} -m showrunner.cli.main nightly --project {root}"
    return f"{cmd}{' ' + extra if extra else ''} >> {log} 2>&1"


def plan(project: Project, at: str, backend: Backend, extra: str = "") -> Plan:
    hh, mm = parse_hhmm(at)
    command = nightly_command(project, extra)
    unit = f"showrunner-nightly-{_key(project)}"
    service = (f"[Unit]\nDescription=showrunner nightly drafts for {project.root}\n\n"
               f"[Service]\nType=oneshot\nExecStart=/bin/sh -c {shlex.quote(command)}\n")
    timer = (f"[Unit]\nDescription=showrunner nightly drafts at {hh:02d}:{mm:02d}\n\n"
             f"[Timer]\nOnCalendar=*-*-* {hh:02d}:{mm:02d}:00\nPersistent=true\n\n"
             f"[Install]\nWantedBy=timers.target\n")
    cron_cmd = command.replace("%", "\\%")  # cron turns a bare % into a newline
    return Plan(backend=backend, command=command, cron_line=f"{mm} {hh} * * * {cron_cmd} {marker(project)}",
                unit_name=unit, service=service, timer=timer)


def systemd_available() -> bool:
    if not shutil.which("systemctl"):
        return False
    try:
        res = subprocess.run(["systemctl", "--user", "is-system-running"], capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return res.stdout.strip() in {"running", "degraded", "starting"}


def choose_backend(requested: str) -> Backend:
    if requested not in {"auto", "cron", "systemd"}:
        raise BadInput(f"unknown scheduler {requested!r}; use auto, cron or systemd")
    if requested == "auto":
        return "systemd" if systemd_available() else "cron"
    return "systemd" if requested == "systemd" else "cron"


def _run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    if not shutil.which(args[0]):
        raise ServiceError(f"{args[0]} is not installed; use 'showrunner schedule install --print' and add "
                           "the line to your own scheduler")
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=30)


def _crontab_lines() -> list[str]:
    res = _run(["crontab", "-l"])
    if res.returncode != 0:
        if "no crontab" in (res.stderr or "").lower():
            return []
        raise ServiceError(f"crontab -l failed: {(res.stderr or '').strip()[:200]}")
    return res.stdout.splitlines()


def _write_crontab(lines: list[str]) -> None:
    res = _run(["crontab", "-"], stdin="".join(line + "\n" for line in lines))
    if res.returncode != 0:
        raise ServiceError(f"crontab refused the new table: {(res.stderr or '').strip()[:200]}")


def _unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def _systemctl(*args: str) -> None:
    res = _run(["systemctl", "--user", *args])
    if res.returncode != 0:
        raise ServiceError(f"systemctl --user {' '.join(args)} failed: {(res.stderr or '').strip()[:200]}")


def install(p: Plan, project: Project) -> str:
    """Install (or replace) this project's entry; return a one-line description."""
    if p.backend == "cron":
        keep = [line for line in _crontab_lines() if marker(project) not in line]
        _write_crontab([*keep, p.cron_line])
        return f"crontab: {p.cron_line}"
    d = _unit_dir()
    atomic_write(d / f"{p.unit_name}.service", p.service)
    atomic_write(d / f"{p.unit_name}.timer", p.timer)
    _systemctl("daemon-reload")
    _systemctl("enable", "--now", f"{p.unit_name}.timer")
    return f"systemd user timer {p.unit_name}.timer ({d})"


def remove(project: Project, backend: str = "auto") -> list[str]:
    """Remove this project's entries from cron and systemd (whichever exist); return what was removed."""
    removed: list[str] = []
    unit = f"showrunner-nightly-{_key(project)}"
    d = _unit_dir()
    if backend in {"auto", "systemd"} and (d / f"{unit}.timer").exists():
        if shutil.which("systemctl"):
            subprocess.run(["systemctl", "--user", "disable", "--now", f"{unit}.timer"], capture_output=True,
                           timeout=30)
        for suffix in (".timer", ".service"):
            (d / f"{unit}{suffix}").unlink(missing_ok=True)
        if shutil.which("systemctl"):
            subprocess.run(["systemctl", "--user", "daemon-reload"], capture_output=True, timeout=30)
        removed.append(f"systemd user timer {unit}.timer")
    if backend in {"auto", "cron"} and shutil.which("crontab"):
        lines = _crontab_lines()
        keep = [line for line in lines if marker(project) not in line]
        if len(keep) != len(lines):
            _write_crontab(keep)
            removed.append("crontab line")
    return removed
