"""Export a sentence-transformers model once to ONNX, for the `onnx` backends.

sentence-transformers' own `backend="onnx"` needs `optimum-onnx`, whose releases require
transformers < 4.58 (we pin 5.x), so the export is done here with `torch.onnx.export`,
`onnxruntime.transformers.optimizer` (fused BERT kernels: attention, skip-LayerNorm,
bias-GELU) and `onnxruntime.quantization.quantize_dynamic` (int8 weights per output
channel; activations are quantized on the fly).

The export runs once per model folder and variant (a few tens of seconds; it needs torch
and `onnx`), never at import, through `index.build_once` (temporary folder, marker, lock,
rename).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.build_once import build_once, is_built
from index.errors import ConfigError

FORMAT_REVISION = 1
"""Bump when the exported graph changes for the same model (a new folder is written)."""
MARKER = ".reformqa-onnx-complete"


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
    if is_built(target, MARKER):
        return target
    info = _read_model_info(model_dir)  # an unsupported model fails before any lock or folder
    return build_once(target, MARKER, lambda tmp: _export(model_dir, tmp, info, variant))


def _export(model_dir: Path, out: Path, info: _ModelInfo, variant: str) -> str:
    """Write `model.onnx`, `tokenizer.json` and `export.json` into `out`."""
    raw = out / "raw.onnx"
    _export_torch(model_dir, raw)
    fused = _fuse(raw, out / "fused.onnx", info)
    final = out / "model.onnx"
    if variant == "int8":
        _quantize(fused, final)
    else:
        os.replace(fused, final)
    for leftover in (raw, out / "fused.onnx"):
        leftover.unlink(missing_ok=True)
    shutil.copy2(model_dir / "tokenizer.json", out / "tokenizer.json")
    meta = {
        "source": str(model_dir),
        "variant": variant,
        "max_length": info.max_length,
        "revision": FORMAT_REVISION,
        "versions": {p: _version(p) for p in ("torch", "transformers", "onnx", "onnxruntime")},
    }
    (out / "export.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return "ok\n"


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
