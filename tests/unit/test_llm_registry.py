"""get_llm picks providers by name; the scripted provider imports its responder from the environment."""

from __future__ import annotations

import sys
import types

import pytest
from pydantic import BaseModel

from showrunner.config import Settings
from showrunner.errors import BadInput
from showrunner.llm import PROVIDERS, get_llm
from showrunner.llm.base import LLMError, Prompt
from showrunner.llm.openai_provider import OpenAIProvider
from showrunner.testing import ScriptedLLM


class Answer(BaseModel):
    text: str


def test_auto_resolves_to_local_without_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = get_llm(Settings())
    assert llm.provider == "local" and llm.model == "SmolLM2-135M-Instruct.Q4_1"


def test_auto_resolves_to_openai_with_base_url_and_dummy_key() -> None:
    llm = get_llm(Settings(openai_base_url="http://127.0.0.1:1/v1", model="m"))
    assert isinstance(llm, OpenAIProvider)
    assert llm.endpoint == "http://127.0.0.1:1/v1"
    assert llm.client.api_key == "sk-local" and llm.client.max_retries == 0


def test_unknown_provider_lists_valid_names() -> None:
    settings = Settings.model_construct(**(Settings().model_dump() | {"llm": "claude"}))
    with pytest.raises(BadInput, match="unknown LLM provider 'claude'; choose one of: local, openai, scripted"):
        get_llm(settings)
    assert sorted(PROVIDERS) == ["local", "openai", "scripted"]


def test_scripted_uses_responder_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("fake_responders")
    module.answer = lambda prompt, schema: {"text": prompt.text.upper()}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_responders", module)
    monkeypatch.setenv("SHOWRUNNER_SCRIPTED_RESPONDER", "fake_responders:answer")
    llm = get_llm(Settings(llm="scripted"))
    assert isinstance(llm, ScriptedLLM)
    gen = llm.generate(Prompt.plain("hello", id="t/x", version=2), Answer)
    assert gen.value.text == "HELLO" and gen.usage.provider == "scripted" and gen.usage.prompt_id == "t/x"


@pytest.mark.parametrize("spec, words", [("", "needs SHOWRUNNER_SCRIPTED_RESPONDER"),
                                         ("no_such_module_xyz:f", "cannot import"),
                                         ("json:no_such_attr", "cannot import")])
def test_scripted_bad_responder_is_one_line(monkeypatch: pytest.MonkeyPatch, spec: str, words: str) -> None:
    monkeypatch.setenv("SHOWRUNNER_SCRIPTED_RESPONDER", spec)
    with pytest.raises(BadInput, match=words) as info:
        get_llm(Settings(llm="scripted"))
    assert "\n" not in str(info.value)


def test_openai_without_key_or_url_says_what_to_set() -> None:
    with pytest.raises(LLMError, match="OPENAI_API_KEY or OPENAI_BASE_URL"):
        get_llm(Settings(llm="openai"))
