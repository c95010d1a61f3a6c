"""Mojibake runs (GBK shifted by one byte) are repaired or shown as a marked gap, never as words."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.cleaning import clean_text
from index.mojibake import repair_mojibake, repair_mojibake_count
from index.textnorm import GAP, normalize

SEED_004 = next((Path(__file__).resolve().parent.parent / "corpus").glob("004_*.txt"))


def _shifted(original: str, codec: str = "gbk") -> str:
    """What the broken pages show: the bytes of `original`, decoded one byte late."""
    data = original.encode(codec)
    return data[1 : len(data) - (len(data) - 1) % 2].decode(codec, errors="replace")


def test_a_shifted_run_between_markers_is_decoded_back() -> None:
    run = _shifted("為中心的實績量化")
    assert "中心" not in run  # the run really is garbled
    text, repaired, gaps = repair_mojibake_count(f"以工作業績?yōu){run}?綜合評價")
    assert (repaired, gaps) == (1, 0)
    # the last character may straddle lost bytes, so it is dropped rather than guessed
    assert "中心的實績" in text and text.startswith("以工作業績" + GAP) and text.endswith(GAP + "綜合評價")


def test_a_run_that_cannot_be_recovered_becomes_a_gap() -> None:
    text, repaired, gaps = repair_mojibake_count("按績?nèi)〕?、?yōu)績優酬。")
    assert (repaired, gaps) == (0, 2)
    assert text == f"按績{GAP}、{GAP}績優酬。"
    assert "nèi" not in text and "?" not in text


@pytest.mark.parametrize(
    "text",
    [
        "这是什么?我们不知道。",  # a half-width question mark inside Chinese prose
        "真的吗? 是的",
        "開發區(kāi)建设",  # a pinyin annotation is not mojibake (cleaning strips it elsewhere)
        "What? (yes) ok",
        "",
    ],
)
def test_text_without_mojibake_is_unchanged(text: str) -> None:
    assert repair_mojibake(text) == text


def test_seed_004_shows_no_garbled_words_after_cleaning() -> None:
    result = clean_text(SEED_004.read_text(encoding="utf-8"))
    for garbled in ("?yōu)", "?nèi)", "橹行牡摹", "皩嵖兞炕己", "〕?"):
        assert garbled not in result.text
    assert "以工作業績" + GAP + "中心的“實績量" + GAP + "綜合評價考核" in result.text
    assert f"按績{GAP}、{GAP}績優酬" in result.text
    assert any("mojibake: 1 runs repaired, 2 marked" in note for note in result.notes)


def test_repair_is_idempotent() -> None:
    once = repair_mojibake("以工作業績?yōu)橹行牡摹皩嵖兞炕己?綜合")
    assert repair_mojibake(once) == once


def test_a_gap_mark_is_blank_in_the_normalized_form() -> None:
    """Readers see the mark; search and answer scoring see no words there, and spans still match."""
    text = f"推行以工作業績{GAP}中心的考核"
    norm = normalize(text)
    assert len(norm) == len(text) and "乱码" not in norm and "原文" not in norm
    assert norm.startswith("推行以工作业绩") and norm.endswith("中心的考核")
