"""LLM providers behind one interface; :func:`get_llm` picks one from settings by name."""

from __future__ import annotations

from showrunner.llm.base import Generation, LLMError, Message, Prompt, StructuredLLM, Usage

__all__ = ["Generation", "LLMError", "Message", "Prompt", "StructuredLLM", "Usage"]
