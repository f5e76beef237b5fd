"""A real OpenAI-compatible HTTP server on 127.0.0.1 answering scripted replies, for provider tests.

Every request body is recorded so tests can assert the exact number and kind of requests sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    content: str | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    raw: bytes | None = None  # a recorded body, sent byte for byte


def completion(content: str, finish: str = "stop") -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "test-model",
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59}}


class FakeServer:
    """Answers POST /v1/chat/completions from a queue of replies and records each request body."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.default: Reply | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                size = int(self.headers.get("content-length", 0))
                outer.requests.append(json.loads(self.rfile.read(size)))
                outer.times.append(time.monotonic())
                reply = outer.replies.popleft() if outer.replies else outer.default
                assert reply is not None, "server got more requests than scripted"
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                body = reply.body if reply.body is not None else completion(reply.content or "")
                data = reply.raw if reply.raw is not None else json.dumps(body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def script(self, *replies: Reply) -> FakeServer:
        self.replies.extend(replies)
        return self

    def kinds(self) -> list[str]:
        return [r.get("response_format", {}).get("type", "none") for r in self.requests]
