"""The `onnx` backends: the sentence-transformers model exported to ONNX
(`index.embedders.onnx_export`), run with onnxruntime and the `tokenizers` library (no torch
at run time).

Why: on a 2-core CPU, sentence-transformers on torch fp32 is the bottleneck of ingest. The
same network as an ONNX graph with fused BERT kernels and int8 weights is several times
faster, and its vectors agree with the torch ones to cosine ~0.997 (int8) or ~1.0 (fp32);
`bench/embed_speed.py` measures both and docs/BENCHMARKS.md has the figures.

Backends (`REFORMQA_EMBEDDING__BACKEND`): `onnx` or `onnx-int8` (int8 weights, the fast
one) and `onnx-fp32` (no quantization: same vectors as torch, a smaller speed-up).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.embedders.base import Embedder, Kind, register
from index.embedders.model_path import resolve_model_path
from index.embedders.onnx_export import ensure_onnx_model
from index.errors import ConfigError
from index.settings import Settings
from index.types import Vectors

VARIANTS = {"onnx": "int8", "onnx-int8": "int8", "onnx-fp32": "fp32"}
"""Backend setting → exported variant."""
_FIX = "install the ONNX packages with `pip install -e .` (onnxruntime and onnx are dependencies)"


def batches_by_length(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Indexes of `lengths` sorted by length, cut where a batch padded to its longest
    member would exceed `budget` tokens (a longer text still goes alone)."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if current and (len(current) + 1) * lengths[i] > budget:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class OnnxEmbedder(Embedder):
    """The exported model on onnxruntime, with E5-style prompts; loads on first use.

    Texts are tokenized once, sorted by token count and cut into batches of at most
    `embedding.batch_tokens` tokens (padding included): each batch is padded only to its
    own longest text, and small batches keep the activations in the CPU cache (on two
    cores, 640 tokens per pass embeds ~1.5× faster than 32 texts per pass).
    """

    def __init__(self, settings: Settings, variant: str = "int8") -> None:
        self._settings = settings
        self.variant = variant
        self.name = f"{settings.embedding.model}+onnx-{variant}"
        self._session: Any = None
        self._tokenizer: Any = None
        self._pad_id = 0
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (it loads on the first text)."""
        return self._session is not None

    def _model_dir(self) -> Path:
        path = Path(resolve_model_path(self._settings))
        if not path.is_dir():
            raise ConfigError(
                f"the ONNX backend needs a local model folder; {str(path)!r} is not one "
                "(set REFORMQA_EMBEDDING__MODEL to a sentence-transformers folder)"
            )
        return path

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                try:
                    import onnxruntime as ort
                    from tokenizers import Tokenizer
                except ImportError as exc:
                    raise ConfigError(f"the ONNX backend needs onnxruntime ({exc}); {_FIX}") from exc
                folder = ensure_onnx_model(self._model_dir(), self._settings.cache_dir, self.variant)
                meta = json.loads((folder / "export.json").read_text(encoding="utf-8"))
                tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
                tok.no_padding()
                tok.enable_truncation(int(meta["max_length"]))
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = self._settings.embedding.threads  # 0 = one per core
                opts.inter_op_num_threads = 1
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                # Idle worker threads sleep instead of spinning: the CPU is shared with search,
                # the web app and other processes.
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                session = ort.InferenceSession(str(folder / "model.onnx"), opts, providers=["CPUExecutionProvider"])
                pad = tok.token_to_id("<pad>")
                self._pad_id = int(pad) if pad is not None else 0
                self._tokenizer = tok
                self._session = session
            return self._session, self._tokenizer

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> Vectors:
        if not texts:
            return self._empty()
        cfg = self._settings.embedding
        session, tok = self._load()
        prompt = cfg.query_prompt if kind == "query" else cfg.passage_prompt
        encs = tok.encode_batch([prompt + t for t in texts])
        lengths = [len(e.ids) for e in encs]
        out: Vectors | None = None
        for rows in batches_by_length(lengths, cfg.batch_tokens):
            width = lengths[rows[-1]]  # rows are sorted by length
            ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = encs[i].ids
                mask[r, : lengths[i]] = 1
            vecs = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            if out is None:
                out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
            out[rows] = vecs
        assert out is not None
        self._dim = out.shape[1]
        return out


@register(*VARIANTS)
def from_settings(settings: Settings) -> Embedder:
    return OnnxEmbedder(settings, VARIANTS[settings.embedding.backend])
