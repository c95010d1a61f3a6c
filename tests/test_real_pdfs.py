"""The real reports of ../shared/realdocs (public files with their sources and licences in
its SOURCES.tsv), read as the ingest reads them. Skipped where that folder is absent: the
project's checkouts and CI have it beside the repository; the files are not copied here."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from index.pipeline import prepare
from index.settings import Settings
from index.types import CleanDocument, SourceFile

REPO = Path(__file__).resolve().parent.parent
REALDOCS = REPO.parent / "shared" / "realdocs"
sys.path.insert(0, str(REPO / "bench"))  # the benchmark scripts are not a package
from real_files import cer, wrapped_breaks  # noqa: E402

pytestmark = pytest.mark.skipif(not REALDOCS.is_dir(), reason=f"{REALDOCS} is absent (real files beside the repo)")

NOTICE = "02_ndrc_tax_credit_notice_2019-860_typeset.pdf"
REPORT = "04_byd_2025q1_report.pdf"


def _prepare(name: str) -> CleanDocument:
    path = REALDOCS / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return prepare(SourceFile(path, name, "", path.stat().st_size), Path(name).stem, None, Settings())


def test_the_notice_reads_as_its_reference_text_with_pages() -> None:
    doc = _prepare(NOTICE)
    reference = (REALDOCS / "02_ndrc_tax_credit_notice_2019-860_groundtruth.txt").read_text(encoding="utf-8")
    assert cer(doc.text, reference) <= 0.02
    assert "（2014-2020年）" in doc.text
    assert wrapped_breaks(doc.text) == []
    assert not re.search(r"—\s*\d\s*—", doc.text)  # the page numbers went
    assert len(doc.page_starts) == 5
    page_2 = doc.text[doc.page_starts[1] : doc.page_starts[2]]
    assert page_2.startswith("经济发展、惠及百姓民生")  # page 2 starts inside a sentence of page 1


def test_the_quarterly_report_keeps_its_tables_as_rows() -> None:
    doc = _prepare(REPORT)
    lines = doc.text.split("\n")
    assert "营业收入（元） | 170,360,448,000.00 | 124,944,397,000.00 | 36.35%" in lines
    assert "归属于上市公司股东的扣除非经常性损益的净利润（元） | 8,171,627,000.00 | 3,751,980,000.00 | 117.80%" in lines
    assert wrapped_breaks(doc.text) == []
    assert "比亚迪股份有限公司2025年第一季度报告" not in lines[2:]  # the running header went


def test_cer_counts_edits_on_characters_whitespace_aside() -> None:
    assert cer("开发 区改革", "开发区改革") == 0.0
    assert cer("开发区改", "开发区改革") == pytest.approx(0.2)
    assert cer("开发区政革", "开发区改革") == pytest.approx(0.2)
    assert cer("开发区改革了", "开发区改革") == pytest.approx(0.2)


def test_wrapped_breaks_are_line_ends_inside_sentences() -> None:
    text = "一、总体要求\n各地区要以新时代中国特色社会主义思想为指导，全面贯彻党\n的精神。\n表头 | 数据\n（一）标题"
    assert [text[o - 3 : o] for o in wrapped_breaks(text)] == ["贯彻党"]
