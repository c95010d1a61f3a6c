"""bench/real_files.py: which files of a folder are reports, and the score against a key."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))  # the benchmark scripts are not a package
from real_files import Expected, Row, judge, page1_reference, read_expected, report_files  # noqa: E402

KEY = (
    "filename\ttitle\tissuer\tdoc_number\tyear\tregions\n"
    "a.pdf\t2024年北京市政府工作报告\t北京市人民政府\t\t2024\t北京市\n"
    "b.html\t山西品牌丝路行（南美站）正式启动\t\t\t2019\t江苏省盐城市\n"
    "c.png\t\t\t\t\t\n"
)


def _folder(tmp_path: Path) -> Path:
    for name in ("a.pdf", "b.html", "c.png", "README.md", "a_page1_reference.txt", "a_groundtruth.txt", "x.txt"):
        (tmp_path / name).write_text("text", encoding="utf-8")
    (tmp_path / "EXPECTED.tsv").write_text(KEY, encoding="utf-8")
    return tmp_path


def test_references_papers_and_unlisted_files_are_not_reports(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert [p.name for p in report_files(folder)] == ["a.pdf", "b.html", "c.png"]
    (folder / "EXPECTED.tsv").unlink()  # without a list: every readable file but papers and references
    assert [p.name for p in report_files(folder)] == ["a.pdf", "b.html", "c.png", "x.txt"]
    assert page1_reference(folder / "a.pdf") == folder / "a_page1_reference.txt"
    assert page1_reference(folder / "b.html") is None


def test_a_row_is_judged_field_by_field_against_the_key(tmp_path: Path) -> None:
    key = read_expected(_folder(tmp_path))
    assert key["a.pdf"] == Expected("2024年北京市政府工作报告", 2024, frozenset({"北京市"}))
    assert key["b.html"].regions == {"江苏省", "盐城市"}  # written as one name, read as the places
    row = Row("a.pdf", title="北京市政府工作报告", regions="北京市", year=2024)
    judge(row, key["a.pdf"])
    assert (row.title_ok, row.year_ok, row.regions_ok) == (True, True, True)  # the year prefix aside
    row = Row("a.pdf", title="北京市政府工作报告", regions="北京市、河北省", year=2023)
    judge(row, key["a.pdf"])
    assert (row.title_ok, row.year_ok, row.regions_ok) == (False, False, False)
    row = Row("b.html", title="山西品牌丝路行 （南美站）正式启动", regions="盐城市、江苏省", year=None)
    judge(row, key["b.html"])
    assert (row.title_ok, row.year_ok, row.regions_ok) == (True, False, True)  # whitespace and order aside
    row = Row("c.png", title="c")
    judge(row, key["c.png"])
    assert (row.title_ok, row.year_ok, row.regions_ok) == (True, True, True)  # the file's name: no title found
    row = Row("c.png", title="", error="has no text")
    judge(row, key["c.png"])
    assert (row.title_ok, row.year_ok, row.regions_ok) == (False, False, False)  # a failed file is wrong
