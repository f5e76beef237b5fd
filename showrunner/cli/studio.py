"""``showrunner studio``: serve the Studio, a local web page to review and steer a series.

Bound to 127.0.0.1 unless ``--host`` says otherwise; the printed URL carries a fresh random token (as
Jupyter's does) and every request without it is refused. Starlette and uvicorn are imported inside the
command so the CLI starts fast.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from showrunner.cli.common import ProjectOpt
from showrunner.errors import BadInput

LOCAL = "127.0.0.1"


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def studio(
    project: ProjectOpt = Path("."),
    port: Annotated[int, typer.Option("--port", help="Port to serve on (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to bind. Only 127.0.0.1 by default; another "
                                                     "address lets other machines reach the Studio.")] = LOCAL,
) -> None:
    """Serve the Studio for a series: review gates, steer shots, approve drafts, in a browser."""
    import uvicorn

    from showrunner.pipelines.project import Project
    from showrunner.studio.app import create_app
    from showrunner.studio.auth import new_token, url_with_token

    if not 0 <= port <= 65535:
        raise BadInput(f"--port {port} is out of range; use 1-65535 (0: any free port)")
    proj = Project.open(project)
    port = port or free_port(host)
    token = new_token()
    hosts = None if host in ("0.0.0.0", "::") else frozenset({host, "localhost"} if host == LOCAL else {host})
    app = create_app(proj.root, token, hosts=hosts)
    if host != LOCAL:
        typer.echo(f"warning: the Studio is reachable from other machines on {host}; keep the token secret",
                   err=True)
    typer.echo(f"Showrunner Studio for {proj.root}\nopen: {url_with_token(host, port, token)}", err=False)
    typer.echo("stop with Ctrl-C", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add ``studio`` to ``app``."""
    app.command("studio")(studio)
