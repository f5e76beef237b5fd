"""LLM providers behind one interface; :func:`get_llm` picks one from settings by name.

Registry: ``openai`` (any OpenAI-compatible endpoint), ``local`` (embedded SmolLM2 with constrained
decoding, the default when no endpoint is configured) and ``scripted`` (the test double from
:mod:`showrunner.testing`, answering through ``SHOWRUNNER_SCRIPTED_RESPONDER=module.path:callable`` so
subprocess tests and benchmarks can drive the real CLI). Providers import lazily: the ``local`` one
pulls in torch and transformers only when chosen.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from showrunner.config import Settings
from showrunner.errors import BadInput
from showrunner.llm.base import Generation, LLMError, Message, Prompt, StructuredLLM, Usage

__all__ = ["Generation", "LLMError", "Message", "Prompt", "StructuredLLM", "Usage", "PROVIDERS", "get_llm"]

if TYPE_CHECKING:
    from showrunner.testing import Responder

RESPONDER_ENV = "SHOWRUNNER_SCRIPTED_RESPONDER"


def _openai(settings: Settings, project: Path | None) -> StructuredLLM:
    from showrunner.llm.openai_provider import OpenAIProvider

    return OpenAIProvider(settings, project=project)


def _local(settings: Settings, project: Path | None) -> StructuredLLM:
    from showrunner.llm.local import LocalProvider

    return LocalProvider(settings)


def _scripted(settings: Settings, project: Path | None) -> StructuredLLM:
    from showrunner.testing import ScriptedLLM

    return ScriptedLLM(load_responder(os.environ.get(RESPONDER_ENV, "")))


PROVIDERS: dict[str, Callable[[Settings, Path | None], StructuredLLM]] = {
    "openai": _openai,
    "local": _local,
    "scripted": _scripted,
}


def load_responder(spec: str) -> Responder:
    """Import ``module.path:callable`` (the scripted provider's answer function)."""
    if not spec:
        raise BadInput(f"the scripted LLM needs {RESPONDER_ENV}=module.path:callable; set it or pick "
                       "another provider with SHOWRUNNER_LLM")
    module_name, _, attr = spec.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attr or "respond")
    except (ImportError, AttributeError, ValueError) as exc:
        raise BadInput(f"cannot import {RESPONDER_ENV}={spec!r} ({type(exc).__name__}: {exc}); "
                       "give an importable module.path:callable") from exc
    if not callable(target):
        raise BadInput(f"{RESPONDER_ENV}={spec!r} is not callable; give module.path:callable")
    return cast("Responder", target)


def get_llm(settings: Settings, project: Path | None = None) -> StructuredLLM:
    """Build the provider that ``settings`` names (``auto`` resolves to openai or local).

    ``project`` is the series folder the provider works for: what it learns about the endpoint is kept there.
    """
    name = settings.provider_name()
    try:
        factory = PROVIDERS[name]
    except KeyError:
        raise BadInput(f"unknown LLM provider {name!r}; choose one of: {', '.join(sorted(PROVIDERS))}") from None
    return factory(settings, project)
