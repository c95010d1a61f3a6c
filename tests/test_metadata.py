"""corpus/reports.toml: the seeds' entries, and errors that name the file, table and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import MetadataError
from index.metadata import KINDS, SCRIPTS, load_metadata, read_metadata
from index.types import ReportMeta

SEEDS = Path(__file__).resolve().parent.parent / "corpus"


def _toml(tmp_path: Path, body: str) -> Path:
    (tmp_path / "reports.toml").write_text(body, encoding="utf-8")
    return tmp_path


def test_every_seed_has_valid_metadata() -> None:
    metas = load_metadata(SEEDS)
    assert sorted(metas) == sorted(p.name for p in SEEDS.glob("*.txt"))
    for meta in metas.values():
        assert meta.title and meta.kind in KINDS and meta.script in SCRIPTS


def test_seed_metadata_follows_the_texts() -> None:
    metas = load_metadata(SEEDS)
    tianjin = metas["002_016209cccba9a16d.txt"]
    assert (tianjin.title, tianjin.regions, tianjin.year) == (
        "天津高新区管理体制改革的实践",
        ("天津市", "滨海新区"),
        2020,
    )
    cases = metas["003_c058a78fdbcdfa77.txt"]
    assert cases.kind == "case collection" and {"湖南省", "衡阳市", "四川省", "绵阳市"} <= set(cases.regions)
    hightech = metas["004_e798851dbd215fd1.txt"]
    assert hightech.script == "zh-Hant" and "chinahightech.com" in hightech.source_site
    assert "qiantufanwen.com" in metas["001_5fecd174d6647819.txt"].source_site
    assert all(m.year is None for k, m in metas.items() if not k.startswith("002"))  # no year the text lacks


def test_missing_file_means_no_metadata(tmp_path: Path) -> None:
    assert load_metadata(tmp_path) == {}


def test_minimal_and_full_tables(tmp_path: Path) -> None:
    corpus = _toml(
        tmp_path,
        '["a.txt"]\ntitle = "甲"\n\n["sub/b.md"]\ntitle = " 乙 "\nregions = ["天津市"]\nyear = 2021\n'
        'kind = "survey"\nscript = "zh-Hans"\nsource_site = "example.com"\n',
    )
    assert load_metadata(corpus) == {
        "a.txt": ReportMeta(title="甲"),
        "sub/b.md": ReportMeta("乙", ("天津市",), 2021, "survey", "zh-Hans", "example.com"),
    }


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (
            '["a.txt"]\ntitle = "甲"\nyaer = 2020\n',
            r'\["a\.txt"\], field `yaer`: is not a known field; did you mean `year`\?',
        ),
        (
            '["a.txt"]\ntitle = "甲"\nauthor = "张三"\n',
            r"field `author`: is not a known field; allowed fields: title, regions",
        ),
        (
            '["a.txt"]\ntitle = "甲"\nyear = "2020年"\n',
            r"field `year`: must be a whole number, got '2020年'; write e\.g\. year = 2020",
        ),
        ('["a.txt"]\ntitle = "甲"\nyear = true\n', r"field `year`: must be a whole number"),
        ('["a.txt"]\ntitle = "甲"\nyear = 20200\n', r"field `year`: 20200 is outside 1950–2100; fix the year"),
        (
            '["a.txt"]\ntitle = "甲"\nregions = "天津市"\n',
            r'field `regions`: must be a list of names.*regions = \["天津市"',
        ),
        ('["a.txt"]\ntitle = "甲"\nregions = ["天津市", 3]\n', r"field `regions`: must be a list of names"),
        ('["a.txt"]\ntitle = "甲"\nkind = "report"\n', r"field `kind`: is 'report', not one of \"research report\""),
        (
            '["a.txt"]\ntitle = "甲"\nscript = "zh-CN"\n',
            r"field `script`: is 'zh-CN', not one of \"zh-Hans\", \"zh-Hant\"",
        ),
        ('["a.txt"]\nkind = "survey"\n', r'field `title`: is missing; add title = "…"'),
        ('["a.txt"]\ntitle = ""\n', r"field `title`: must be a non-empty string"),
        ('["a.txt"]\ntitle = 3\n', r"field `title`: must be a non-empty string, got 3"),
        (
            '[a.txt]\ntitle = "甲"\n',
            r'table \["a"\], field `txt`: is a nested table; quote the file name.*\["a\.txt"\]',
        ),
        ('"a.txt" = "甲"\n', r'"a\.txt" must be a table like \["a\.txt"\] with title = "…"'),
        ('["a.txt"]\ntitle = "甲\n', r"is not valid TOML \(.*line 2.*\); fix the line it names"),
    ],
)
def test_errors_name_the_file_the_table_the_field_and_the_fix(tmp_path: Path, body: str, pattern: str) -> None:
    corpus = _toml(tmp_path, body)
    with pytest.raises(MetadataError, match=pattern) as info:
        load_metadata(corpus)
    assert "reports.toml" in str(info.value)


def test_non_utf8_file_is_a_metadata_error(tmp_path: Path) -> None:
    (tmp_path / "reports.toml").write_bytes('["a.txt"]\ntitle = "开发区"\n'.encode("gbk"))
    with pytest.raises(MetadataError, match=r"reports\.toml: is not UTF-8.*re-save it as UTF-8"):
        load_metadata(tmp_path)


def test_entries_for_files_not_in_the_corpus_are_allowed(tmp_path: Path) -> None:
    # Metadata may be written before the report is added, or outlive a removed report.
    assert (
        load_metadata(_toml(tmp_path, '["extra-unused.txt"]\ntitle = "未使用"\n'))["extra-unused.txt"].title == "未使用"
    )


# -- one bad entry never stops an ingest (issue 12, finding 8) --------------------------------
def test_a_duplicated_table_is_reported_with_its_line_and_the_rest_still_applies(tmp_path: Path) -> None:
    corpus = _toml(tmp_path, '["a.txt"]\ntitle = "甲"\n\n["b.txt"]\ntitle = "乙"\n\n["a.txt"]\ntitle = "丙"\n')
    found = read_metadata(corpus)
    assert found.metas == {"a.txt": ReportMeta(title="甲"), "b.txt": ReportMeta(title="乙")}
    assert any("line 7" in p and 'table ["a.txt"] is defined twice' in p for p in found.problems), found.problems


def test_a_syntax_error_costs_only_its_own_table(tmp_path: Path) -> None:
    corpus = _toml(tmp_path, '["a.txt"]\ntitle = "甲\n\n["b.txt"]\ntitle = "乙"\n')
    found = read_metadata(corpus)
    assert found.metas == {"b.txt": ReportMeta(title="乙")}
    assert any("line 2" in p and "that entry is ignored" in p for p in found.problems), found.problems


def test_a_bad_field_drops_its_entry_and_names_the_line(tmp_path: Path) -> None:
    corpus = _toml(tmp_path, '["a.txt"]\ntitle = "甲"\n\n["b.txt"]\ntitle = "乙"\nyear = "2020年"\n')
    found = read_metadata(corpus)
    assert found.metas == {"a.txt": ReportMeta(title="甲")}
    (problem,) = found.problems
    assert "reports.toml: line 4:" in problem and "field `year`" in problem and "ignored" in problem


def test_an_unreadable_file_is_one_problem_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / "reports.toml").write_bytes('["a.txt"]\ntitle = "开发区"\n'.encode("gbk"))
    found = read_metadata(tmp_path)
    assert found.metas == {} and "is not UTF-8" in found.problems[0]


def test_the_strict_reader_still_raises_on_a_duplicated_table(tmp_path: Path) -> None:
    corpus = _toml(tmp_path, '["a.txt"]\ntitle = "甲"\n["a.txt"]\ntitle = "丙"\n')
    with pytest.raises(MetadataError, match="line 3"):
        load_metadata(corpus)
