"""Loaders: encodings are detected, every format reads, every failure is a LoadError."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import docx
import opencc
import pytest
from pypdf import PdfReader, PdfWriter

from index.errors import LoadError
from index.loaders import SUPPORTED_SUFFIXES, decode_bytes, html_to_text, load_file, strip_markdown

SEEDS = Path(__file__).resolve().parent.parent / "corpus"
SIMPLIFIED = "关于开发区改革进展情况的调研报告\n改革前,我市共有各级各类开发区31个。其中国家级开发区6个。"
TRADITIONAL = "開發區建設作為我國改革開放的成功實踐,為推動區域經濟社會發展起到了重要的引領和支撐作用。"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _load_bytes(tmp_path: Path, name: str, data: bytes) -> str:
    return load_file(_write(tmp_path, name, data), name).text


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF written by hand, with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading("开发区改革进展情况的调研报告", level=1)
    document.add_paragraph("改革前,我市共有各级各类开发区31个。")
    table = document.add_table(rows=2, cols=3)
    for col, text in enumerate(("类别", "数量", "备注")):
        table.cell(0, col).text = text
    table.cell(1, 0).text = "国家级开发区"
    table.cell(1, 1).merge(table.cell(1, 2)).text = "6个"
    document.add_paragraph("表后的段落:整合为13个。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# -- encodings ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        (SIMPLIFIED, "gbk", "gb18030"),
        (SIMPLIFIED, "gb18030", "gb18030"),
        (TRADITIONAL, "big5", "big5"),
        (TRADITIONAL, "gbk", "gb18030"),
        (TRADITIONAL, "utf-8", "utf-8"),
        ("开发区", "gbk", "gb18030"),  # two-character words decode as Big5 too: GB18030 wins ties
    ],
)
def test_decode_detects_legacy_chinese_encodings(text: str, codec: str, expected: str) -> None:
    assert decode_bytes(text.encode(codec), "r.txt") == (text, expected)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbf" + SIMPLIFIED.encode("utf-8"), "utf-8-sig"),
        (b"\xff\xfe" + SIMPLIFIED.encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + SIMPLIFIED.encode("utf-16-be"), "utf-16-be"),
        (SIMPLIFIED.encode("utf-16-le"), "utf-16-le"),
        (SIMPLIFIED.encode("utf-16-be"), "utf-16-be"),
        ("一开\n一一开开\n".encode("utf-16-le"), "utf-16-le"),  # 一 and 开 have a NUL byte too
    ],
)
def test_decode_bom_and_utf16(data: bytes, expected: str) -> None:
    text, codec = decode_bytes(data, "r.txt")
    assert codec == expected
    assert text.strip("\n") in (SIMPLIFIED, "一开\n一一开开")
    assert "\ufeff" not in text


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_every_seed_round_trips_through_a_legacy_encoding(name: str) -> None:
    text = (SEEDS / name).read_text(encoding="utf-8")
    if name.startswith("004"):  # Traditional: Big5 (its pinyin tone letters are not in Big5)
        text = "".join(ch for ch in opencc.OpenCC("s2t").convert(text) if _in_big5(ch))
        assert decode_bytes(text.encode("big5"), name) == (text, "big5")
    else:
        assert decode_bytes(text.encode("gb18030"), name) == (text, "gb18030")
    assert decode_bytes(text.encode("utf-16-le"), name)[0] == text


def _in_big5(ch: str) -> bool:
    try:
        ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return True


def test_crlf_becomes_newline_and_a_cut_last_character_is_tolerated() -> None:
    data = "第一行\r\n第二行\r第三行".encode() + "开".encode()[:2]
    assert decode_bytes(data, "r.txt") == ("第一行\n第二行\n第三行", "utf-8")


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(4000),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(3).randbytes(500),
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4,
        "正文".encode() + b"\x01\x02\x03\x04\x05\x06\x07\x08" * 10,
    ],
    ids=["random", "png", "zip", "controls"],
)
def test_binary_junk_named_txt_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(LoadError, match=r"^junk\.txt: looks like a binary file"):
        load_file(_write(tmp_path, "junk.txt", data), "junk.txt")


@pytest.mark.parametrize("data", [b"", b"  \n\t\r\n", "\u3000\u3000\n".encode(), b"\xff\xfe \x00\n\x00"])
def test_empty_or_blank_file_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(LoadError, match=r"^empty\.txt: is empty"):
        load_file(_write(tmp_path, "empty.txt", data), "empty.txt")


# -- formats --------------------------------------------------------------------------------
def test_txt_reports_format_and_encoding(tmp_path: Path) -> None:
    loaded = load_file(_write(tmp_path, "a.TXT", SIMPLIFIED.encode("gbk")), "sub/a.TXT")
    assert (loaded.rel, loaded.fmt, loaded.encoding, loaded.text) == ("sub/a.TXT", "txt", "gb18030", SIMPLIFIED)


def test_markdown_keeps_heading_text_and_placeholders(tmp_path: Path) -> None:
    md = (
        "# 开发区改革\n\n## 一、背景 ##\n#二、问题\n\n**改革成效**显著,见[原文](https://example.com/a)。\n"
        "分别是**经济技术开发区、**高新技术产业开发区\n- 列表项 *重点*\n> 引用\n\n---\n"
    )
    text = _load_bytes(tmp_path, "a.md", md.encode())
    assert text.split("\n")[:4] == ["开发区改革", "", "一、背景", "二、问题"]
    assert "改革成效显著,见原文。" in text
    assert "分别是**经济技术开发区、**高新技术产业开发区" in text  # anonymization, not emphasis
    assert "列表项 重点" in text and "引用" in text
    assert "#" not in text and "](" not in text and "---" not in text


def test_markdown_keeps_the_placeholders_of_a_real_report_line() -> None:
    line = (SEEDS / "001_5fecd174d6647819.txt").read_text(encoding="utf-8").split("\n")[5].strip()
    assert line.count("**") == 5
    assert strip_markdown(line) == line


def test_strip_markdown_tables_and_code() -> None:
    assert strip_markdown("| 类别 | 数量 |\n|---|---|\n| 国家级 | 6 |\n`代码`") == "类别 数量\n国家级 6\n代码"


_PAGE = """<!DOCTYPE html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>天津高新区管理体制改革的实践_高新区新闻_某某网</title>
<style>p {{ color: red }}</style><script>var tip = "脚本文字";</script></head>
<body><header>网站标志</header><nav><a href="/">首页</a> &gt; <a>新闻中心</a></nav>
<div class="content">{heading}<p>十九大以来,国内外经济形势
复杂多变。</p><p>第二段<b>加粗</b>文字<br>换行后</p>
<table><tr><td>指标</td><td>数值</td></tr></table><!-- 注释 --><ruby>建<rt>jiàn</rt></ruby>设</div>
<aside>侧栏</aside><form><input value="搜索"></form><noscript>请启用脚本</noscript>
<footer>Copyright 2020</footer></body></html>"""


def test_html_gbk_meta_charset_drops_furniture_and_keeps_blocks(tmp_path: Path) -> None:
    loaded = load_file(_write(tmp_path, "p.html", _PAGE.format(heading="").encode("gbk")), "p.html")
    assert loaded.encoding == "gb18030" and loaded.fmt == "html"
    assert loaded.text.split("\n") == [
        "天津高新区管理体制改革的实践",  # no heading in the body: the <title>, without its site suffix
        "十九大以来,国内外经济形势复杂多变。",
        "第二段加粗文字",
        "换行后",
        "指标 | 数值",
        "建设",
    ]
    for furniture in ("脚本文字", "color", "首页", "网站标志", "侧栏", "搜索", "请启用脚本", "Copyright", "注释"):
        assert furniture not in loaded.text


def test_html_title_stays_out_when_the_body_has_a_heading(tmp_path: Path) -> None:
    page = _PAGE.format(heading="<h1>正文标题</h1>").replace("gb2312", "utf-8")
    text = _load_bytes(tmp_path, "p.htm", page.encode("utf-8"))
    assert text.startswith("正文标题\n十九大以来") and "高新区新闻" not in text


@pytest.mark.parametrize(("declared", "actual"), [("utf-8", "gbk"), ("gbk", "utf-8"), ("big5", "gbk")])
def test_html_meta_charset_is_verified_not_trusted(tmp_path: Path, declared: str, actual: str) -> None:
    body = SIMPLIFIED.replace("\n", "</p><p>")
    page = f'<html><head><meta charset="{declared}"></head><body><p>{body}</p></body></html>'
    assert _load_bytes(tmp_path, "p.html", page.encode(actual)) == SIMPLIFIED


def test_html_to_text_handles_fragments() -> None:
    assert html_to_text("<p>一</p>二<div>三</div>") == "一\n二\n三"


def test_docx_paragraphs_and_table_cells_in_document_order(tmp_path: Path) -> None:
    loaded = load_file(_write(tmp_path, "r.docx", _docx_bytes()), "r.docx")
    assert (loaded.fmt, loaded.encoding) == ("docx", "docx")
    assert loaded.text.split("\n") == [
        "开发区改革进展情况的调研报告",
        "改革前,我市共有各级各类开发区31个。",
        "类别 | 数量 | 备注",
        "国家级开发区 | 6个",  # a merged cell once, not once per grid column
        "表后的段落:整合为13个。",
    ]


def test_truncated_docx_is_a_load_error(tmp_path: Path) -> None:
    data = _docx_bytes()
    with pytest.raises(LoadError, match=r"^r\.docx: is not a readable docx file.*BadZipFile.*save it again"):
        load_file(_write(tmp_path, "r.docx", data[: len(data) // 2]), "r.docx")


def test_zip_that_is_not_a_docx_is_a_load_error(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("hello.txt", "not a document")
    with pytest.raises(LoadError, match=r"^r\.docx: is not a readable docx file"):
        load_file(_write(tmp_path, "r.docx", buffer.getvalue()), "r.docx")


def test_minimal_pdf_text_comes_out(tmp_path: Path) -> None:
    loaded = load_file(_write(tmp_path, "r.pdf", _minimal_pdf("Development zone reform, 2020")), "r.pdf")
    assert (loaded.fmt, loaded.text) == ("pdf", "Development zone reform, 2020")


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_pdf_is_a_load_error(tmp_path: Path, cut: float) -> None:
    data = _minimal_pdf("Development zone reform")
    with pytest.raises(LoadError, match=r"^r\.pdf: .*(truncated|corrupt)"):
        load_file(_write(tmp_path, "r.pdf", data[: int(len(data) * cut)]), "r.pdf")


def test_corrupt_pdf_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"^r\.pdf: is not a readable pdf file"):
        load_file(_write(tmp_path, "r.pdf", b"%PDF-1.4\n" + b"garbage " * 50), "r.pdf")


def test_password_protected_pdf_is_a_load_error(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_minimal_pdf("secret"))))
    writer.encrypt("user-password", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(LoadError, match=r"^r\.pdf: is a password-protected PDF; save an unprotected copy"):
        load_file(_write(tmp_path, "r.pdf", buffer.getvalue()), "r.pdf")


def test_pdf_without_text_says_ocr(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="OCR"):
        load_file(_write(tmp_path, "r.pdf", _minimal_pdf("")), "r.pdf")


# -- dispatch and limits --------------------------------------------------------------------
def test_unsupported_suffix_names_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"^r\.xls: has the unsupported type '\.xls'; convert it to one of: .*\.docx"):
        load_file(_write(tmp_path, "r.xls", b"x"), "r.xls")
    assert {".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"} == SUPPORTED_SUFFIXES


@pytest.mark.parametrize("suffix", [".doc", ".DOC", ".wps"])
def test_old_word_files_name_the_fix(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(LoadError, match=r"cannot be read; open it in (Word or )?WPS.* and save it as \.docx"):
        load_file(_write(tmp_path, "r" + suffix, b"\xd0\xcf\x11\xe0"), "r" + suffix)


def test_too_large_names_the_limit_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"is 2,000 bytes, over the limit of 1,000.*limits\.max_file_bytes"):
        load_file(_write(tmp_path, "big.txt", b"a" * 2000), "big.txt", max_bytes=1000)


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"^gone\.txt: cannot be read"):
        load_file(tmp_path / "gone.txt", "gone.txt")
