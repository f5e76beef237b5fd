"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_openai import FakeServer


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A fake OpenAI-compatible server on 127.0.0.1, shut down after the test."""
    srv = FakeServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
