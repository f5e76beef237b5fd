"""`showrunner doctor`: reports the provider that would be used and exits 1 with the fix when it fails."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from showrunner.cli.main import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_doctor_reports_local_provider_without_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "SHOWRUNNER_LLM"):
        monkeypatch.delenv(var, raising=False)
    code, out, _ = run(["doctor", "--json", "--quick", "--project", str(tmp_path)], capsys)
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert report["provider"] == "local" and report["model"] == "SmolLM2-135M-Instruct.Q4_1"
    checks = {c["name"]: c for c in report["checks"]}
    assert set(checks) == {"llm", "embedder", "torch", "ffmpeg", "disk"}
    assert all(c["ok"] for c in checks.values())
    assert Path(checks["ffmpeg"]["detail"]).is_file()
    assert "CPU" in checks["torch"]["detail"] or "CUDA" in checks["torch"]["detail"]


def test_doctor_fails_with_fix_when_endpoint_is_down(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    code, out, err = run(["doctor", "--json", "--quick", "--project", str(tmp_path)], capsys)
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["provider"] == "openai"
    llm = report["checks"][0]
    assert llm["name"] == "llm" and not llm["ok"] and f"127.0.0.1:{port}" in llm["detail"]
    assert "fix (llm): check OPENAI_BASE_URL" in err


def test_doctor_fails_when_local_model_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("SHOWRUNNER_LOCAL_MODEL", str(tmp_path / "nope.gguf"))
    code, out, err = run(["doctor", "--quick", "--project", str(tmp_path)], capsys)
    assert code == 1 and "FAIL" in out and "SHOWRUNNER_LOCAL_MODEL" in err
