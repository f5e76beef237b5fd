"""The local provider with the real SmolLM2 weights: constrained decoding always yields a valid instance."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

import pytest
from pydantic import BaseModel, Field

from showrunner.config import Settings
from showrunner.llm import get_llm
from showrunner.llm.base import LLMError, Prompt
from showrunner.llm.local import LocalProvider

pytestmark = pytest.mark.slow


class Framing(StrEnum):
    wide = "wide"
    medium = "medium"
    close = "close"


class Shot(BaseModel):
    framing: Framing = Field(description="Shot size.")
    action: str = Field(description="What happens on screen.")


class ShotList(BaseModel):
    title: str = Field(description="Title of the sequence.", min_length=1)
    shots: list[Shot] = Field(description="Shots in order.", min_length=2)


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProvider]:
    llm = get_llm(Settings(llm="local"))
    assert isinstance(llm, LocalProvider)
    yield llm


def test_real_weights_return_valid_nested_instance(local: LocalProvider) -> None:
    prompt = Prompt.plain("Plan two shots: a robot paints a sunset on a rooftop.",
                          system="You are a storyboard artist.", id="director/shots", version=1)
    gen = local.generate(prompt, ShotList)
    assert isinstance(gen.value, ShotList)
    assert 2 <= len(gen.value.shots) <= 5  # min from the schema, cap from the bounded grammar
    assert all(isinstance(s.framing, Framing) and len(s.action) <= 160 for s in gen.value.shots)
    u = gen.usage
    assert (u.provider, u.prompt_id, u.prompt_version) == ("local", "director/shots", 1)
    assert u.model == "SmolLM2-135M-Instruct.Q4_1"
    assert u.prompt_tokens > 0 and u.completion_tokens > 0 and u.latency_s > 0
    assert u.cost_usd == 0.0
    assert local.load_s > 0


def test_model_is_loaded_once_per_process(local: LocalProvider) -> None:
    again = get_llm(Settings(llm="local"))
    assert isinstance(again, LocalProvider)
    assert again.loaded is local.loaded


def test_missing_model_file_is_one_line_error(tmp_path: object) -> None:
    llm = get_llm(Settings(llm="local", local_model="/nonexistent/model.gguf"))
    with pytest.raises(LLMError, match="SHOWRUNNER_LOCAL_MODEL"):
        llm.generate(Prompt.plain("hi"), ShotList)
