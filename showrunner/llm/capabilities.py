"""What an LLM endpoint can do, learned once and remembered: in the process, and in the project.

Today one capability is learned: whether a server accepts ``response_format: json_schema``
(llama-cpp-python answers 500, others 400/404/422). Without memory every new process would send one
doomed request before falling back. :class:`Capabilities` keeps what was learned per endpoint, keyed by
base URL and model, in memory for the process and, when the provider runs for a project, in
``<project>/state/llm_capabilities.json`` so the next process starts with it.

Each entry carries a fingerprint of the LLM settings it was learned under (provider, base URL, model,
timeout, attempts; never the API key). When the configuration changes the fingerprint differs and the
entry is ignored: the capability is probed again.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

from showrunner.config import Settings
from showrunner.io import atomic_write

FILE = Path("state") / "llm_capabilities.json"
_MEMORY: dict[str, dict[str, Any]] = {}  # key -> entry, shared by every provider in this process
_LOCK = threading.Lock()


def fingerprint(settings: Settings) -> str:
    """A short hash of the settings that shape how the endpoint is called (no secrets)."""
    fields = {"provider": settings.provider_name(), "base_url": settings.openai_base_url, "model": settings.model,
              "timeout": settings.llm_timeout_s, "attempts": settings.llm_max_attempts}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


class Capabilities:
    """Learned capabilities of one endpoint and model, remembered in the process and the project."""

    def __init__(self, endpoint: str, model: str, settings: Settings, project: Path | None = None) -> None:
        self.key = f"{endpoint.rstrip('/')} {model}"
        self.config = fingerprint(settings)
        self.path = project / FILE if project is not None else None

    def get(self, name: str) -> bool | None:
        """What is known of capability ``name`` under the current configuration (None: not yet learned)."""
        with _LOCK:
            entry = _MEMORY.get(self.key)
            if entry is None or entry.get("config") != self.config:
                entry = self._read().get(self.key)
                if entry is not None and entry.get("config") == self.config:
                    _MEMORY[self.key] = entry
        if entry is None or entry.get("config") != self.config:
            return None
        value = entry.get("capabilities", {}).get(name)
        return value if isinstance(value, bool) else None

    def learn(self, name: str, value: bool) -> None:
        """Remember capability ``name``; written to the project only when it changes."""
        with _LOCK:
            entry = _MEMORY.get(self.key)
            if entry is None or entry.get("config") != self.config:
                entry = {"config": self.config, "capabilities": {}}
            stored = self._read().get(self.key) if self.path is not None else entry
            if entry["capabilities"].get(name) == value and stored == entry:
                return
            entry = {**entry, "capabilities": {**entry["capabilities"], name: value}, "learned": time.time()}
            _MEMORY[self.key] = entry
            if self.path is not None:
                known = self._read()
                known[self.key] = entry
                try:
                    atomic_write(self.path, json.dumps(known, indent=2, sort_keys=True) + "\n")
                except OSError:
                    pass  # a read-only project still works; the next process probes again

    def _read(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def forget_in_process() -> None:
    """Drop what this process learned (tests that simulate a fresh process)."""
    with _LOCK:
        _MEMORY.clear()
