"""The fast embedding path: the sentence-transformers model exported once to ONNX, run
with onnxruntime and the `tokenizers` library (no torch at run time).

Why: on a 2-core CPU, sentence-transformers on torch fp32 is the bottleneck of ingest.
The same network as an ONNX graph with fused BERT kernels (attention, skip-LayerNorm,
bias-GELU) and int8 weights (dynamic quantization: activations are quantized on the fly,
weights per output channel) is several times faster, and its vectors agree with the torch
ones to cosine ~0.997 (int8) or ~1.0 (fp32); `bench/embed_speed.py` measures both and
docs/BENCHMARKS.md has the figures.

sentence-transformers' own `backend="onnx"` needs `optimum-onnx`, whose releases require
transformers < 4.58 (we pin 5.x), so the export is done here with `torch.onnx.export`,
`onnxruntime.transformers.optimizer` and `onnxruntime.quantization.quantize_dynamic`.

The export runs once per model folder and variant (a few tens of seconds; it needs torch
and `onnx`), never at import: it writes into a temporary folder next to the target,
renames it into place and writes a marker last, under a file lock, like `index.e5convert`.

Variants (`REFORMQA_EMBEDDING__BACKEND`): `onnx` (int8 weights, the fast one) and
`onnx-fp32` (no quantization: same vectors as torch, a smaller speed-up).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.embedding import Embedder, Vectors
from index.errors import ConfigError
from index.settings import Settings

FORMAT_REVISION = 1
"""Bump when the exported graph changes for the same model (a new folder is written)."""
MARKER = ".reformqa-onnx-complete"
VARIANTS = {"onnx": "int8", "onnx-int8": "int8", "onnx-fp32": "fp32"}
"""Backend setting → exported variant."""
_QUERY_CACHE = 2048
_FIX = "install the ONNX packages with `pip install -e .` (onnxruntime and onnx are dependencies)"


def is_onnx_backend(backend: str) -> bool:
    return backend in VARIANTS


# --------------------------------------------------------------------------- export


@dataclass(frozen=True)
class _ModelInfo:
    """What the export needs to know about a sentence-transformers folder."""

    max_length: int
    num_heads: int
    hidden: int
    model_type: str


def _read_model_info(model_dir: Path) -> _ModelInfo:
    """Check that the folder is a mean-pooling text model this exporter reproduces."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{model_dir}: not a sentence-transformers model folder ({exc})") from exc
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    pooling = next((m for m in modules if str(m.get("type", "")).endswith("Pooling")), None)
    mode = ""
    if pooling is not None:
        pcfg = json.loads((model_dir / pooling["path"] / "config.json").read_text(encoding="utf-8"))
        mode = str(pcfg.get("pooling_mode") or ("mean" if pcfg.get("pooling_mode_mean_tokens") else ""))
    if kinds[:2] != ["Transformer", "Pooling"] or mode != "mean" or not set(kinds[2:]) <= {"Normalize"}:
        raise ConfigError(
            f"{model_dir}: the ONNX backend supports Transformer + mean Pooling (+ Normalize) models; "
            f"this one has {kinds} with pooling {mode!r}. Use REFORMQA_EMBEDDING__BACKEND=torch"
        )
    st_cfg_path = model_dir / "sentence_bert_config.json"
    st_cfg = json.loads(st_cfg_path.read_text(encoding="utf-8")) if st_cfg_path.exists() else {}
    max_length = int(st_cfg.get("max_seq_length") or config.get("max_position_embeddings", 512))
    return _ModelInfo(
        max_length=max_length,
        num_heads=int(config.get("num_attention_heads", 12)),
        hidden=int(config.get("hidden_size", 384)),
        model_type=str(config.get("model_type", "bert")),
    )


def onnx_folder(model_dir: Path, cache_dir: Path, variant: str) -> Path:
    """Where the export of `model_dir` in `variant` lives (one folder per model and variant)."""
    digest = hashlib.sha1(str(model_dir.resolve()).encode()).hexdigest()[:8]
    return Path(cache_dir) / f"{model_dir.name}-{digest}-onnx-{variant}-v{FORMAT_REVISION}"


def ensure_onnx_model(model_dir: Path, cache_dir: Path, variant: str = "int8") -> Path:
    """Return a folder with `model.onnx` and `tokenizer.json` for `model_dir`, exporting once."""
    if variant not in ("int8", "fp32"):
        raise ConfigError(f"unknown ONNX variant {variant!r}: use int8 or fp32")
    target = onnx_folder(model_dir, cache_dir, variant)
    if (target / MARKER).is_file():
        return target
    info = _read_model_info(model_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(target.parent / f".{target.name}.lock")):
        if not (target / MARKER).is_file():
            _export_atomically(model_dir, target, info, variant)
    return target


def _export_atomically(model_dir: Path, target: Path, info: _ModelInfo, variant: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        raw = tmp / "raw.onnx"
        _export_torch(model_dir, raw)
        fused = _fuse(raw, tmp / "fused.onnx", info)
        final = tmp / "model.onnx"
        if variant == "int8":
            _quantize(fused, final)
        else:
            os.replace(fused, final)
        for leftover in (raw, tmp / "fused.onnx"):
            leftover.unlink(missing_ok=True)
        shutil.copy2(model_dir / "tokenizer.json", tmp / "tokenizer.json")
        meta = {
            "source": str(model_dir),
            "variant": variant,
            "max_length": info.max_length,
            "revision": FORMAT_REVISION,
            "versions": {p: _version(p) for p in ("torch", "transformers", "onnx", "onnxruntime")},
        }
        (tmp / "export.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        (tmp / MARKER).write_text("ok\n", encoding="utf-8")
        if target.exists() and not (target / MARKER).is_file():
            shutil.rmtree(target)  # a half-deleted folder
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / MARKER).is_file():  # someone else's complete copy is fine
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def _export_torch(model_dir: Path, out: Path) -> None:
    """The transformer + mean pooling + L2 normalization as one graph: ids, mask → vectors."""
    import torch
    import transformers
    from transformers import AutoModel

    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    # sentence-transformers loads BERT without its pooler as well (we pool ourselves).
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", add_pooling_layer=False).eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    # Two rows of different lengths, so padding is part of the traced graph.
    ids = torch.tensor([[0, 6, 5, 7, 2], [0, 6, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and deprecation chatter about a known-good export
        torch.onnx.export(
            MeanPooled(model),
            (ids, mask),
            str(out),
            dynamo=False,  # the TorchScript exporter: no onnxscript dependency, dynamic axes
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=17,
            do_constant_folding=True,
        )


def _fuse(raw: Path, out: Path, info: _ModelInfo) -> Path:
    """Fuse attention, LayerNorm and GELU into onnxruntime's BERT kernels (if it recognizes them)."""
    if info.model_type not in ("bert", "xlm-roberta", "roberta"):
        return raw
    from onnxruntime.transformers.optimizer import optimize_model

    opt = optimize_model(str(raw), model_type="bert", num_heads=info.num_heads, hidden_size=info.hidden, opt_level=0)
    opt.save_model_to_file(str(out))
    return out


def _quantize(src: Path, out: Path) -> None:
    """int8 weights per output channel; activations are quantized per call (dynamic)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # It logs, on the root logger, advice to pre-process first that is meant for CNNs.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(src),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # The fused BERT ops are outside ONNX's shape inference; their outputs are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


# --------------------------------------------------------------------------- run time


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
    cores, 640 tokens per pass embeds ~1.5× faster than 32 texts per pass). Query vectors
    are cached (the same questions come back in chat, the UI and evaluation).
    """

    def __init__(self, settings: Settings, variant: str = "int8") -> None:
        self._settings = settings
        self.variant = variant
        self.name = f"{settings.embedding.model}+onnx-{variant}"
        self._session: Any = None
        self._tokenizer: Any = None
        self._dim = 0
        self._pad_id = 0
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, Vectors] = OrderedDict()
        self._cache_lock = threading.Lock()

    def _model_dir(self) -> Path:
        from index.embedding import resolve_model_path

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

    @property
    def dim(self) -> int:
        if not self._dim:
            self._dim = int(self._encode(["x"], "")[0].shape[0])
        return self._dim

    def _encode(self, texts: Sequence[str], prompt: str) -> Vectors:
        if not texts:
            return self._empty()
        session, tok = self._load()
        encs = tok.encode_batch([prompt + t for t in texts])
        lengths = [len(e.ids) for e in encs]
        out: Vectors | None = None
        for rows in batches_by_length(lengths, self._settings.embedding.batch_tokens):
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

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self._settings.embedding.passage_prompt)

    def embed_query(self, text: str) -> Vectors:
        with self._cache_lock:
            hit = self._queries.get(text)
            if hit is not None:
                self._queries.move_to_end(text)
                return hit.copy()
        vec: Vectors = self._encode([text], self._settings.embedding.query_prompt)[0]
        with self._cache_lock:
            self._queries[text] = vec
            while len(self._queries) > _QUERY_CACHE:
                self._queries.popitem(last=False)
        return vec.copy()

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(list(texts), self._settings.embedding.query_prompt)
