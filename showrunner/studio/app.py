"""The Studio's routes: pages (GET), media looked up by name (GET), actions (POST, JSON in and out).

Actions call the CLI's own pipeline functions: a gate decision is ``continue_series`` (as ``approve``,
``reject --notes``), a retake is ``retake_shot`` (``shot retake``), a replacement is ``replace_shot``
(``shot replace``), a draft decision is ``decide_draft`` (``approve|reject --draft``); per-shot edits,
approvals and notes go to the episode's overrides and the decision log. Long actions run as a background
job (:mod:`showrunner.studio.progress`) and the page polls ``/api/progress``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from showrunner.config import load_settings
from showrunner.errors import BadInput, ProjectError, ShowrunnerError
from showrunner.pipelines.project import Project
from showrunner.studio import actions, views
from showrunner.studio.auth import TokenGuard
from showrunner.studio.progress import Jobs

HERE = Path(__file__).parent
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; style-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'")
MEDIA_KINDS = ("frame", "sheet", "voice")  # named by (episode, shot id) or character id; the type from the file


class Studio:
    """One project's Studio: its settings, media names, background job slot and templates."""

    def __init__(self, root: Path, token: str) -> None:
        self.project = Project.open(root)
        self.settings = load_settings(self.project.root)
        self.token = token
        self.media = views.Media(self.project.root)
        self.jobs = Jobs(self.project.root)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))

    def page(self, request: Request, name: str, **ctx: Any) -> Response:
        response = self.templates.TemplateResponse(request, name, {"token": self.token, "job": self.jobs.view()["job"],
                                                                  **ctx})
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-store"
        return response


def _error(exc: Exception) -> JSONResponse:
    code = 413 if isinstance(exc, actions.TooLarge) else 415 if isinstance(exc, actions.NotAnImage) else \
        400 if isinstance(exc, BadInput) else 409 if isinstance(exc, ProjectError) else 500
    text = str(exc) if isinstance(exc, ShowrunnerError) else f"{type(exc).__name__}: {exc}"
    return JSONResponse({"error": text}, code)


def create_app(root: Path, token: str, hosts: frozenset[str] | None = frozenset({"127.0.0.1", "localhost"})
               ) -> Starlette:
    """The Studio for the project at ``root``, guarded by ``token`` (``hosts``: accepted Host names, None: any)."""
    studio = Studio(root, token)
    proj = studio.project

    async def overview(request: Request) -> Response:
        data = await run_in_threadpool(views.overview, proj)
        n = views.latest_board(data)
        board = None
        if n is not None:
            try:
                board = await run_in_threadpool(views.panels, proj, studio.settings, n, studio.media)
            except ProjectError:
                board = None
        return studio.page(request, "overview.html", board=board, **data)

    async def gate(request: Request) -> Response:
        from showrunner.pipelines.series import pending

        try:
            pend = await run_in_threadpool(pending, proj, studio.settings)
        except ProjectError:
            pend = None
        if pend is None:
            return studio.page(request, "nothing.html", gate="none")
        g, n = pend["gate"], pend["episode"]
        ctx: dict[str, Any] = {"pend": pend, "gate": g, "episode": n, "round": pend.get("round", 0),
                               "waiting_for": views.WAITING_FOR.get(g, "a person")}
        if g == "bible":
            ctx.update(views.bible_view(pend, studio.media))
        elif g == "script":
            ctx.update(views.script_view(pend))
        elif g in ("storyboard", "final"):
            ctx["board"] = await run_in_threadpool(views.panels, proj, studio.settings, n, studio.media)
            ctx["cut"] = views.cut_view(proj, n, studio.media) if g == "final" else None
            ctx["reject_default"] = views.open_shot_notes(proj, n)  # per-shot notes become the rejection's
        return studio.page(request, f"gate_{g if g in ('bible', 'script', 'storyboard', 'final') else 'other'}.html",
                           **ctx)

    async def storyboard(request: Request) -> Response:
        n = request.path_params["n"]
        try:
            board = await run_in_threadpool(views.panels, proj, studio.settings, n, studio.media)
        except ProjectError as exc:
            return PlainTextResponse(str(exc), 404)
        return studio.page(request, "storyboard.html", board=board, episode=n, gate="episode",
                           cut=views.cut_view(proj, n, studio.media))

    async def drafts(request: Request) -> Response:
        data = await run_in_threadpool(actions.draft_list, proj)
        return studio.page(request, "drafts.html", gate="drafts", drafts=data)

    async def report(request: Request) -> Response:
        from showrunner.pipelines.report import latest_report

        md = latest_report(proj)
        html = md.with_suffix(".html") if md else None
        if html is None or not html.is_file():
            return PlainTextResponse("no morning report yet; run 'showrunner nightly'", 404)
        return FileResponse(html, media_type="text/html", headers={
            "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'"})

    async def media(request: Request) -> Response:
        kind, name = request.path_params.get("kind", "frame"), request.path_params["name"]
        key: tuple[str, ...] = (kind, name)
        if kind not in MEDIA_KINDS:
            return PlainTextResponse("not found", 404)
        if kind == "frame":
            key = ("frame", str(request.path_params.get("n")), name)
        path = studio.media.get(key)
        if path is None and kind == "frame":  # not shown yet in this process: look the episode's shots up
            try:
                await run_in_threadpool(views.panels, proj, studio.settings, int(key[1]), studio.media)
            except ShowrunnerError:
                pass
            path = studio.media.get(key)
        if path is None:
            return PlainTextResponse("not found", 404)
        return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})

    async def cut(request: Request) -> Response:
        n, ext = request.path_params["n"], request.path_params["ext"]
        views.cut_view(proj, n, studio.media)
        path = studio.media.get(("cut" if ext == "mp4" else "srt", str(n)))
        if path is None:
            return PlainTextResponse("not found", 404)
        if ext == "vtt":
            return Response(views.vtt(path.read_text(encoding="utf-8")), media_type="text/vtt")
        return FileResponse(path, media_type="video/mp4")

    async def progress(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(studio.jobs.view))

    async def status(request: Request) -> Response:
        data = await run_in_threadpool(views.overview, proj)
        return JSONResponse({"status": data["status"], "pending": None if not data["pending"] else {
            "gate": data["pending"]["gate"], "episode": data["pending"]["episode"]}, "rows": data["rows"]})

    async def act(request: Request) -> Response:
        try:
            return JSONResponse(await actions.dispatch(studio, request))
        except Exception as exc:  # noqa: BLE001 - every refusal is a one-line JSON error for the page
            return _error(exc)

    routes = [
        Route("/", overview), Route("/gate", gate), Route("/episode/{n:int}/storyboard", storyboard),
        Route("/drafts", drafts), Route("/report", report),
        Route("/media/frame/{n:int}/{name}", media), Route("/media/cut/{n:int}.{ext:str}", cut),
        Route("/media/{kind:str}/{name}", media),
        Route("/api/progress", progress), Route("/api/status", status),
        Route("/api/{verb:path}", act, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(TokenGuard, token=token, hosts=hosts)])
    app.state.studio = studio
    return app
