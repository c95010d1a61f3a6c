"""Issue 12, findings 6 and 9: every limit applies while a file is read, encoding detection
costs a bounded sample, mostly-text files keep their text, deep HTML parses."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

import index.encoding as encoding
from index.encoding import SAMPLE_BYTES, decode_report
from index.errors import LoadError
from index.loaders import ReadLimits, load_file

BODY = "天津高新区推行法定机构改革,管委会与公司分设,干部工资分为基本工资和绩效工资两部分。\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- mostly text is text ----------------------------------------------------------------------
def test_utf8_with_a_few_gbk_bytes_keeps_its_text_and_counts_the_bad_bytes(tmp_path: Path) -> None:
    data = (BODY * 40).encode() + "联系人：张三".encode("gbk") + b"\n" + (BODY * 40).encode()
    loaded = load_file(_write(tmp_path, "mixed.txt", data), "mixed.txt")
    assert loaded.encoding == "utf-8" and loaded.text.count("干部工资") == 80
    (note,) = loaded.notes
    assert "bytes that are not valid utf-8 replaced" in note and note.split()[0].isdigit()


def test_a_single_nul_does_not_make_a_text_binary(tmp_path: Path) -> None:
    data = (BODY * 20).encode() + b"\x00" + (BODY * 20).encode()
    loaded = load_file(_write(tmp_path, "nul.txt", data), "nul.txt")
    assert loaded.encoding == "utf-8" and loaded.text.count("干部工资") == 40


def test_gbk_after_a_long_ascii_head_is_still_detected() -> None:
    data = b"<script>" + b"var x = 1;\n" * 12_000 + b"</script>" + (BODY * 50).encode("gbk")
    found = decode_report(data, "page.html")
    assert found.encoding == "gb18030" and found.text.count("干部工资") == 50 and not found.bad_bytes


def test_mostly_garbage_is_still_binary() -> None:
    data = BODY.encode() + bytes(range(128, 256)) * 40
    with pytest.raises(LoadError, match="binary"):
        decode_report(data, "junk.txt")


# -- detection costs a sample, decoding is done once ---------------------------------------------
def test_detection_looks_at_a_bounded_sample_only(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = encoding.plausibility

    def spy(text: str) -> float:
        seen.append(len(text))
        return real(text)

    monkeypatch.setattr(encoding, "plausibility", spy)
    data = (BODY * 20_000).encode("gb18030")  # 2.4 MB of GBK: strict UTF-8 fails at once
    found = decode_report(data, "big.txt")
    assert found.encoding == "gb18030" and len(found.text) == len(BODY) * 20_000
    assert seen and max(seen) <= SAMPLE_BYTES


def test_the_character_limit_stops_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (BODY * 50_000).encode()  # 6.8 MB, 2.2 M characters
    with pytest.raises(
        LoadError, match=r"more than [0-9,]+ characters of text, over the limit of 100,000.*limits\.max_text_chars"
    ):
        decode_report(data, "long.txt", max_chars=100_000)


def test_load_file_applies_the_character_limit_while_reading(tmp_path: Path) -> None:
    path = _write(tmp_path, "long.md", (BODY * 5_000).encode())
    with pytest.raises(LoadError, match=r"characters of text, over the limit of 10,000"):
        load_file(path, "long.md", limits=ReadLimits(max_chars=10_000))


# -- docx and pdf bombs --------------------------------------------------------------------
def _docx_with(extra: dict[str, bytes]) -> bytes:
    document = docx.Document()
    document.add_paragraph(BODY)
    buffer = io.BytesIO()
    document.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


def test_a_docx_zip_bomb_is_refused_by_its_decompressed_size(tmp_path: Path) -> None:
    data = _docx_with({"word/media/image1.png": bytes(140_000_000)})  # 140 MB of zeros: a 140 KB zip
    assert len(data) < 1_000_000
    with pytest.raises(LoadError, match=r"unpacks to more than 128,000,000 bytes"):
        load_file(_write(tmp_path, "bomb.docx", data), "bomb.docx")


def test_the_unpacked_limit_counts_real_bytes_not_declared_sizes(tmp_path: Path) -> None:
    data = _docx_with({"word/media/image1.png": bytes(3_000_000)})
    path = _write(tmp_path, "big.docx", data)
    with pytest.raises(LoadError, match=r"unpacks to more than 1,000,000 bytes"):
        load_file(path, "big.docx", limits=ReadLimits(max_unpacked_bytes=1_000_000))
    assert "干部工资" in load_file(path, "big.docx").text  # under the default limit it reads


def _pdf_pages(n: int) -> bytes:
    writer = PdfWriter()
    for _ in range(n):
        writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_pdf_with_too_many_pages_is_refused_before_any_page_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pypdfium2

    def never(self: pypdfium2.PdfDocument, *args: object, **kwargs: object) -> None:
        raise AssertionError("no page may be parsed")

    monkeypatch.setattr(pypdfium2.PdfDocument, "get_page", never)
    monkeypatch.setattr(pypdfium2.PdfDocument, "__getitem__", never)
    path = _write(tmp_path, "many.pdf", _pdf_pages(12))
    with pytest.raises(LoadError, match=r"has 12 pages, over the limit of 10; split it"):
        load_file(path, "many.pdf", limits=ReadLimits(max_pdf_pages=10))


# -- deep HTML -------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [1_000, 5_000])
def test_deeply_nested_html_is_parsed_not_called_corrupt(tmp_path: Path, depth: int) -> None:
    markup = (
        "<html><body>"
        + "<div><span>" * depth
        + "深层的正文。"
        + "</span></div>" * depth
        + "<p>结尾段落。</p></body></html>"
    )
    loaded = load_file(_write(tmp_path, "deep.html", markup.encode()), "deep.html")
    assert loaded.text.split("\n") == ["深层的正文。", "结尾段落。"]
