"""Look-alike characters (issue 18): Kangxi radicals, CJK Radicals Supplement, compatibility
ideographs and other one-to-one compatibility forms are the ordinary characters in the
normalized form, which keeps the text's length; quotes keep the report's own characters."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest
from settings_kit import hashed_settings

from assistant.facade import Assistant
from index.keyword import tokenize
from index.textnorm import fold_look_alikes, look_alikes, normalize

KANGXI_AI = "\u2f08\u2f2f智能"  # ⼈⼯智能 as PDFs with radical glyphs give it


@pytest.mark.parametrize(
    ("look_alike", "ordinary"),
    [
        ("\u2f08", "人"),  # KANGXI RADICAL MAN
        ("\u2f2f", "工"),  # KANGXI RADICAL WORK
        ("\u2fa7", "长"),  # KANGXI RADICAL LONG 長, then Simplified
        ("\u2ed3", "长"),  # CJK RADICAL C-SIMPLIFIED LONG (no NFKC mapping: Equivalent_Unified_Ideograph)
        ("\u2ed4", "门"),  # CJK RADICAL C-SIMPLIFIED GATE
        ("\u2e9f", "母"),  # CJK RADICAL MOTHER
        ("\uf900", "岂"),  # CJK COMPATIBILITY IDEOGRAPH-F900 豈, then Simplified
        ("\U0002f800", "丽"),  # outside the BMP: still one character in, one out
        ("\uff21", "a"),  # FULLWIDTH LATIN CAPITAL A
        ("\u2460", "1"),  # CIRCLED DIGIT ONE
    ],
)
def test_a_look_alike_normalizes_to_the_ordinary_character(look_alike: str, ordinary: str) -> None:
    assert normalize(look_alike) == ordinary


def test_the_table_comes_from_unicode_data_and_maps_one_character_to_one() -> None:
    table = look_alikes()
    kangxi = range(0x2F00, 0x2FD6)
    assert all(cp in table for cp in kangxi)  # every Kangxi radical
    assert all(unicodedata.normalize("NFKC", chr(cp)) == table[cp] for cp in kangxi)
    assert all(len(ch) == 1 for ch in table.values())
    assert "\u3231" not in {chr(cp) for cp in table}  # ㈱ → (株) has three characters: left alone
    assert any(cp > 0xFFFF for cp in table)  # CJK Compatibility Ideographs Supplement


def test_normalize_keeps_the_length_of_every_character() -> None:
    sample = "".join(chr(cp) for cp in range(0x2E80, 0x2FE0)) + "".join(chr(cp) for cp in range(0xF900, 0xFB00))
    sample += "".join(chr(cp) for cp in range(0x2F800, 0x2FA20)) + "㈱ﬁ…™\u3000"
    assert len(normalize(sample)) == len(sample)
    assert len(fold_look_alikes(sample)) == len(sample)
    assert sys.maxunicode >= 0x2FA1D


def test_keyword_tokens_of_the_look_alike_form_are_the_ordinary_words() -> None:
    assert normalize(KANGXI_AI) == "人工智能"
    assert tokenize(normalize(f"推动{KANGXI_AI}产业发展")) == tokenize(normalize("推动人工智能产业发展"))


def test_a_search_for_the_ordinary_word_finds_the_look_alike_text(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = f"园区加快发展{KANGXI_AI}产业,建设算力中心三座,引进{KANGXI_AI}企业四十家。"
    (corpus / "ai.txt").write_text(f"开发区产业报告\n\n{body}\n", encoding="utf-8")
    (corpus / "other.txt").write_text("开发区管理体制改革\n\n园区实行法定机构改革,全员竞聘上岗。\n", encoding="utf-8")
    settings = hashed_settings(tmp_path, corpus)
    a = Assistant(settings)
    a.ingest()
    hits = a.search("人工智能企业", 2)
    top = hits[0]
    assert top.record.rel == "ai.txt"
    assert "人工智能" in top.matched_terms  # found by the keyword index, not only by vectors
    assert KANGXI_AI in top.chunk.text  # the quote shows the report's own characters
    assert "人工智能" in top.chunk.norm and len(top.chunk.norm) == len(top.chunk.text)
