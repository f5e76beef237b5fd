import os
import stat
import subprocess

import pytest

from showrunner.errors import BadInput, ServiceError
from showrunner.pipelines import schedule
from showrunner.pipelines.project import Project

FAKE_CRONTAB = """#!/bin/sh
# a stand-in for crontab(1) keeping its table in $FAKE_CRONTAB_FILE
if [ "$1" = "-l" ]; then
  if [ -f "$FAKE_CRONTAB_FILE" ]; then cat "$FAKE_CRONTAB_FILE"; exit 0; fi
  echo "no crontab for $USER" >&2; exit 1
fi
if [ "$1" = "-" ]; then cat > "$FAKE_CRONTAB_FILE"; exit 0; fi
exit 2
"""


@pytest.fixture
def fake_cron(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "crontab"
    script.write_text(FAKE_CRONTAB)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    table = tmp_path / "table"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CRONTAB_FILE", str(table))
    return table


@pytest.fixture
def project(tmp_path):
    return Project.create(tmp_path / "my series", premise="p")


@pytest.mark.parametrize("bad", ["25:00", "2am", "", "12:60", "12:5", "-1:00"])
def test_bad_times_refused(bad):
    with pytest.raises(BadInput, match="HH:MM"):
        schedule.parse_hhmm(bad)


def test_plan_cron_line_and_timer(project):
    p = schedule.plan(project, "02:30", "cron")
    assert p.cron_line.startswith("30 2 * * * ")
    assert "nightly --project" in p.cron_line and "'" in p.cron_line  # path with a space is quoted
    assert schedule.marker(project) in p.cron_line
    assert "OnCalendar=*-*-* 02:30:00" in p.timer and "ExecStart=/bin/sh -c" in p.service


def test_install_is_idempotent_and_keeps_other_lines(project, fake_cron):
    fake_cron.write_text("0 5 * * * backup.sh\n")
    schedule.install(schedule.plan(project, "02:00", "cron"), project)
    schedule.install(schedule.plan(project, "03:15", "cron"), project)
    lines = fake_cron.read_text().splitlines()
    assert lines[0] == "0 5 * * * backup.sh"
    ours = [line for line in lines if schedule.marker(project) in line]
    assert len(ours) == 1 and ours[0].startswith("15 3 * * * ")
    assert schedule.remove(project, "cron") == ["crontab line"]
    assert fake_cron.read_text().splitlines() == ["0 5 * * * backup.sh"]
    assert schedule.remove(project, "cron") == []


def test_install_from_empty_crontab(project, fake_cron):
    schedule.install(schedule.plan(project, "2:00", "cron"), project)
    assert fake_cron.read_text().count("showrunner-nightly") == 1


def test_cron_line_runs_as_shell(project, fake_cron):
    line = schedule.plan(project, "02:00", "cron").command
    out = subprocess.run(["sh", "-n", "-c", line], capture_output=True)
    assert out.returncode == 0


def test_missing_crontab_says_what_to_do(project, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServiceError, match="--print"):
        schedule.install(schedule.plan(project, "02:00", "cron"), project)


def test_systemd_units_written_and_removed(project, tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "systemctl.log"
    script = bindir / "systemctl"
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexit 0\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    p = schedule.plan(project, "02:00", "systemd")
    schedule.install(p, project)
    unit_dir = tmp_path / "cfg" / "systemd" / "user"
    assert (unit_dir / f"{p.unit_name}.timer").read_text() == p.timer
    assert f"--user enable --now {p.unit_name}.timer" in log.read_text()
    assert schedule.remove(project, "systemd") == [f"systemd user timer {p.unit_name}.timer"]
    assert not list(unit_dir.iterdir())
