"""Suite-wide guards: every test runs offline, and any attempt to reach the network fails loudly."""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


def _is_local(family: int, address: object) -> bool:
    if family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(self.family, address):
        raise RuntimeError(f"network access in a test: connect to {address!r} is blocked (tests run offline)")
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(self.family, address):
        raise RuntimeError(f"network access in a test: connect to {address!r} is blocked (tests run offline)")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> object:
    """Allow only AF_UNIX and loopback (127.0.0.0/8, ::1) connections for the whole session."""
    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", _guarded_connect)
    mp.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def module_tiny_dir(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Tiny random-weight model twins (showrunner.tools.tiny) built into a temp folder shared by one module."""
    old = os.environ.get("SHOWRUNNER_TINY_DIR")
    os.environ["SHOWRUNNER_TINY_DIR"] = str(tmp_path_factory.mktemp("tiny"))
    yield
    if old is None:
        os.environ.pop("SHOWRUNNER_TINY_DIR", None)
    else:
        os.environ["SHOWRUNNER_TINY_DIR"] = old
