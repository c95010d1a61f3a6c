"""OCR: engine lines → page lines, which PDF pages need OCR, the per-file page and time
limits, progress and notes (fake engine), image reports and image-only PDFs through the
loader and the ingest; the real engine on pages the tests draw (marked slow)."""

from __future__ import annotations

import io
import re
import socket
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from drawn_pages import TEXTS, draw_page, fonts_available, image_bytes, image_pdf, stamp_seal
from PIL import Image

import index.ocr
from index.errors import ConfigError, LoadError
from index.layout import lay_out
from index.loaders import ReadLimits, load_file
from index.ocr import FakeOcrEngine, OcrLine, make_ocr_engine
from index.ocr_pages import OcrOptions, needs_ocr, ocr_page_lines, read_upright, render_scale
from index.pipeline import Ingestor
from index.red_ink import read_page
from index.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))  # bench/cer.py: not a package
from cer import cer

needs_fonts = pytest.mark.skipif(not fonts_available(), reason="fonts-noto-cjk is not installed (scripts/setup.sh)")


def _line(text: str, x0: float, top: float, x1: float, bottom: float, score: float = 0.99) -> OcrLine:
    return OcrLine(text, x0, top, x1, bottom, score)


def _fake(pages: int = 0, seconds: float = 0.0) -> FakeOcrEngine:
    return FakeOcrEngine(
        pages=[[_line(f"第{n}页的正文。", 100, 100, 900, 130)] for n in range(1, pages + 1)], seconds_per_page=seconds
    )


def _options(engine: FakeOcrEngine, progress: list[tuple[int, int]] | None = None) -> OcrOptions:
    return OcrOptions(
        engine, progress=(lambda d, t: progress.append((d, t))) if progress is not None else None, clock=engine.now
    )


def _blank(size: tuple[int, int] = (600, 800)) -> Image.Image:
    return Image.new("RGB", size, "white")


# -- engine lines → PageLines -----------------------------------------------------------------
def test_page_lines_are_in_points_in_reading_order_with_fragments_joined() -> None:
    lines = [
        _line("第二行", 100, 300, 400, 340),
        _line("中基协处分", 100, 100, 500, 140),
        _line("〔2025〕334号", 520, 102, 900, 138),  # gap 20 px < the line's height: one line
        _line("右栏", 1300, 105, 1500, 140),  # gap 400 px: a column or cell, kept apart
    ]
    page = ocr_page_lines(lines, number=2, image_size=(2000, 1000), page_size=(1000.0, 500.0), min_score=0.5)
    assert page.ocr and page.number == 2 and (page.width, page.height) == (1000.0, 500.0)
    assert [ln.text for ln in page.lines] == ["中基协处分〔2025〕334号", "右栏", "第二行"]
    first = page.lines[0]
    assert (first.x0, first.top, first.x1, first.bottom, first.size) == (50.0, 50.0, 450.0, 70.0, 20.0)


def test_latin_fragments_keep_a_space_chinese_ones_do_not() -> None:
    lines = [_line("periodic", 0, 0, 200, 30), _line("review", 220, 0, 400, 30), _line("审查", 410, 0, 480, 30)]
    page = ocr_page_lines(lines, number=1, image_size=(500, 100), page_size=(500.0, 100.0), min_score=0.5)
    assert [ln.text for ln in page.lines] == ["periodic review审查"]


def test_unsure_lines_are_dropped_by_their_score() -> None:
    lines = [_line("根据有关规定作出决定。", 0, 0, 600, 30, 0.97), _line("2000001", 300, 500, 400, 520, 0.68)]
    page = ocr_page_lines(lines, number=1, image_size=(800, 800), page_size=(800.0, 800.0), min_score=0.72)
    assert [ln.text for ln in page.lines] == ["根据有关规定作出决定。"]


# -- red ink: seals and mastheads ----------------------------------------------------------------
def _red_page() -> Image.Image:
    """White page with a red masthead band at the top and a red seal (a disc) lower down."""
    page = Image.new("RGB", (1000, 1400), "white")
    page.paste((210, 20, 30), (100, 100, 900, 160))  # masthead
    page.paste((210, 20, 30), (600, 900, 900, 1200))  # seal
    return page


def test_a_page_without_red_ink_is_read_once() -> None:
    engine = _fake(1)
    assert [ln.text for ln in read_page(engine, _blank())] == ["第1页的正文。"] and engine.calls == 1


def test_red_ink_is_looked_through_and_only_flat_red_lines_that_fill_their_band_are_kept() -> None:
    body = [_line("正文第一行。", 100, 300, 900, 340), _line("中国开发区管理协会", 550, 1000, 850, 1040)]
    masthead_crop = [_line("某某市人民政府文件", 20, 10, 800, 70)]  # in the crop's pixels
    seal_crop = [
        _line("协会", 250, 20, 300, 150),  # an upright piece of the ring text
        _line("3301020088", 100, 230, 200, 250),  # the serial: flat but small inside the ring
        _line("中国开发区管理协会", 40, 110, 290, 145),  # the black line again, seen through the seal
    ]
    engine = FakeOcrEngine(pages=[body, masthead_crop, seal_crop])
    lines = read_page(engine, _red_page())
    assert engine.calls == 3  # once with the red ink whitened, once per red band
    assert [ln.text for ln in lines] == ["正文第一行。", "中国开发区管理协会", "某某市人民政府文件"]
    masthead = lines[-1]
    assert masthead.top > 40 and masthead.x0 > 60  # moved back from the crop into the page


# -- which PDF pages need OCR -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("layer", "needs"),
    [
        ("", True),
        ("  \n\t ", True),
        ("\ue001\ue002\ue003" * 20, True),  # glyphs without a Unicode map (private use)
        ("\ufffd" * 40, True),
        ("(cid:12)(cid:34)(cid:56)(cid:78)", True),
        ("第 3 页", True),  # a page number stamped on a scan
        ("— 12 —", True),
        ("关于加强个人所得税纳税信用建设的通知", False),
        ("Annual report 2024", False),
    ],
)
def test_needs_ocr_when_the_text_layer_is_empty_or_garbage(layer: str, needs: bool) -> None:
    assert needs_ocr(layer) is needs


def test_render_scale_bounds_the_pixels_of_a_huge_page() -> None:
    assert render_scale(595, 842, 150, 60_000_000) == pytest.approx(150 / 72)
    huge = render_scale(14_400, 14_400, 150, 60_000_000)  # a 200-inch page
    assert (14_400 * huge) ** 2 <= 60_000_000 * 1.0001


# -- limits, progress and notes -----------------------------------------------------------------
def _tiff(frames: int, size: tuple[int, int] = (300, 400)) -> bytes:
    pages = [Image.new("L", size, 255 - n) for n in range(frames)]
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:])
    return out.getvalue()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_multipage_tiff_is_one_report_of_pages_with_progress_and_notes(tmp_path: Path) -> None:
    engine, progress = _fake(3), []
    loaded = load_file(_write(tmp_path, "scan.tif", _tiff(3)), "scan.tif", ocr=_options(engine, progress))
    assert loaded.fmt == "tiff" and loaded.ocr_pages == (1, 2, 3)
    # The layout reader may run a paragraph on over a page break: each page starts where its text does.
    assert [loaded.text[s : s + 7] for s in loaded.page_starts] == ["第1页的正文。", "第2页的正文。", "第3页的正文。"]
    assert progress == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert loaded.notes == ("read 3 pages by OCR (1-3)",)


def test_pages_over_the_page_limit_are_skipped_and_named_with_the_fix(tmp_path: Path) -> None:
    engine = _fake(5)
    limits = ReadLimits(max_ocr_pages=2)
    loaded = load_file(_write(tmp_path, "scan.tiff", _tiff(5)), "scan.tiff", limits=limits, ocr=_options(engine))
    assert engine.calls == 2 and loaded.ocr_pages == (1, 2)
    assert loaded.notes[0] == "read 2 pages by OCR (1-2)"
    assert loaded.notes[1].startswith("pages 3-5 not read by OCR: over the limit of 2 OCR pages per file")
    assert "REFORMQA_LIMITS__MAX_OCR_PAGES" in loaded.notes[1] and "reformqa remove scan" in loaded.notes[1]


def test_pages_past_the_time_limit_are_skipped(tmp_path: Path) -> None:
    engine = _fake(4, seconds=40.0)
    limits = ReadLimits(max_ocr_seconds=100)
    loaded = load_file(_write(tmp_path, "scan.tif", _tiff(4)), "scan.tif", limits=limits, ocr=_options(engine))
    assert loaded.ocr_pages == (1, 2, 3)  # started at 0, 40 and 80 s; the 4th would start at 120 s
    assert loaded.notes[1].startswith("page 4 not read by OCR: over the limit of 100 seconds of OCR per file")
    assert "REFORMQA_LIMITS__MAX_OCR_SECONDS" in loaded.notes[1]


def test_no_ocr_at_all_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"scan\.png: has no text \(page 1 not read by OCR: over the limit of 0"):
        load_file(
            _write(tmp_path, "scan.png", image_bytes(_blank(), "PNG")),
            "scan.png",
            limits=ReadLimits(max_ocr_pages=0),
            ocr=_options(_fake(1)),
        )


def test_an_image_nothing_can_be_read_from_is_a_clear_error(tmp_path: Path) -> None:
    engine = FakeOcrEngine(pages=[[]])
    with pytest.raises(LoadError, match=r"blank\.jpg: has no text"):
        load_file(_write(tmp_path, "blank.jpg", image_bytes(_blank(), "JPEG")), "blank.jpg", ocr=_options(engine))


# -- image bombs ----------------------------------------------------------------------------------
def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares width × height pixels and holds almost no data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("w", "h"), [(9_000, 9_000), (100_000, 100_000)])
def test_an_image_over_the_pixel_limit_is_refused_before_decoding(tmp_path: Path, w: int, h: int) -> None:
    engine = _fake(1)
    with pytest.raises(LoadError, match=r"bomb\.png: .*(over the limit of 60,000,000|too large to decode)"):
        load_file(_write(tmp_path, "bomb.png", _png_header(w, h)), "bomb.png", ocr=_options(engine))
    assert engine.calls == 0


def test_the_pixel_limit_is_a_setting(tmp_path: Path) -> None:
    with pytest.raises(
        LoadError, match=r"600 × 800 = 480,000 pixels, over the limit of 1,000 \(limits\.max_image_pixels"
    ):
        load_file(
            _write(tmp_path, "a.png", image_bytes(_blank(), "PNG")),
            "a.png",
            limits=ReadLimits(max_image_pixels=1000),
            ocr=_options(_fake(1)),
        )


# -- PDFs --------------------------------------------------------------------------------------------
def test_an_image_only_pdf_page_is_read_by_ocr(tmp_path: Path) -> None:
    engine = _fake(2)
    pdf = image_pdf([_blank((400, 560)), _blank((400, 560))], dpi=72)
    loaded = load_file(_write(tmp_path, "scan.pdf", pdf), "scan.pdf", ocr=_options(engine))
    assert loaded.ocr_pages == (1, 2) and engine.calls == 2
    assert [loaded.text[s : s + 7] for s in loaded.page_starts] == ["第1页的正文。", "第2页的正文。"]
    assert loaded.text.replace("\n", "") == "第1页的正文。第2页的正文。"
    assert loaded.notes == ("read 2 pages by OCR (1-2)",)


def test_a_pdf_with_a_text_layer_is_not_read_by_ocr(tmp_path: Path) -> None:
    from test_loaders import _minimal_pdf

    engine = _fake(1)
    loaded = load_file(
        _write(tmp_path, "text.pdf", _minimal_pdf("Annual report of the zone")), "text.pdf", ocr=_options(engine)
    )
    assert engine.calls == 0 and loaded.ocr_pages == () and "Annual report" in loaded.text


# -- the ingest -----------------------------------------------------------------------------------------
def test_ingest_reads_scans_and_images_by_ocr_with_an_ocr_progress_stage(fake_settings: Settings) -> None:
    corpus = fake_settings.corpus_dir
    (corpus / "scan.pdf").write_bytes(image_pdf([_blank((400, 560))], dpi=72))
    (corpus / "photo.png").write_bytes(image_bytes(_blank((300, 300)), "PNG"))
    (corpus / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    stages: list[tuple[str, int, int]] = []
    engine = FakeOcrEngine()
    summary = Ingestor(fake_settings, ocr_engine=engine, progress=lambda s, d, t: stages.append((s, d, t))).run()
    assert {"scan", "photo"} <= set(summary.added) and engine.calls == 2
    assert ("scan.pdf", "read 1 page by OCR (1)") in summary.notes
    assert ("photo.png", "read 1 page by OCR (1)") in summary.notes
    assert [s for s in stages if s[0] == "ocr"] == [("ocr", 0, 1), ("ocr", 1, 1)] * 2
    assert any(rel == "old.doc" and "save it as .docx" in why for rel, why in summary.failed)


def test_the_ocr_engine_is_a_setting(fake_settings: Settings) -> None:
    assert isinstance(make_ocr_engine("fake"), FakeOcrEngine)
    with pytest.raises(ConfigError, match="not an OCR engine; registered: fake, rapidocr"):
        make_ocr_engine("paddle")


def test_the_cli_shows_an_ocr_progress_bar(fake_settings: Settings) -> None:
    from cli_run import run_cli

    (fake_settings.corpus_dir / "photo.png").write_bytes(image_bytes(_blank((300, 300)), "PNG"))
    code, out = run_cli(fake_settings, "ingest", env={"REFORMQA_OCR__ENGINE": "fake"})
    assert code == 0, out
    assert re.search(r"ocr\s+: 100%.*1/1", out), out  # the bar of the "ocr" stage, done
    assert "note: photo.png: read 1 page by OCR (1)" in out


class _Pipeline:
    """Stands in for RapidOCR's pipeline: what it returns with and without the per-line 180°
    classifier, and which way it was called."""

    def __init__(self, upright: list[Any], turned: list[Any]) -> None:
        self.results = {False: upright, True: turned}
        self.calls: list[bool] = []

    def __call__(self, image: Any, use_cls: bool = True) -> tuple[list[Any], float]:
        self.calls.append(use_cls)
        return self.results[use_cls], 0.1


def test_rapidocr_reads_lines_as_they_stand_without_turning_each_over(monkeypatch: pytest.MonkeyPatch) -> None:
    quad = [[10, 10], [500, 10], [500, 30], [10, 30]]
    footnote = "（4）“物的自然价值产生于它能满足需要。”"
    pipeline = _Pipeline(upright=[[quad, footnote, 0.98]], turned=[[quad, "", 0.0]])  # the classifier lost it
    monkeypatch.setattr(index.ocr, "_rapid", pipeline)
    lines = make_ocr_engine("rapidocr").read(Image.new("RGB", (600, 100), "white"))
    assert [ln.text for ln in lines] == [footnote] and pipeline.calls == [False]


class _Sheet:
    """An engine that reads a sheet well one way up and as noise the other."""

    name = "sheet"

    def __init__(self, upside_down: bool) -> None:
        self.upside_down = upside_down
        self.calls = 0

    def read(self, image: Image.Image) -> list[OcrLine]:
        self.calls += 1
        if (image.getpixel((0, 0)) == (0, 0, 0)) == self.upside_down:  # the black corner marks the top
            return [OcrLine("ɥɔɐǝɹ", 100, 700, 400, 720, 0.3), OcrLine("ʎǝ", 100, 740, 400, 760, 0.4)]
        return [OcrLine("第一行正文。", 100, 100, 400, 120, 0.99), OcrLine("第二行正文。", 100, 140, 400, 160, 0.98)]


def test_a_page_scanned_upside_down_is_read_turned_round_in_order() -> None:
    page = Image.new("RGB", (600, 800), "white")
    page.putpixel((0, 0), (0, 0, 0))
    upright = _Sheet(upside_down=False)
    assert [ln.text for ln in read_upright(upright, page)] == ["第一行正文。", "第二行正文。"] and upright.calls == 1
    turned = _Sheet(upside_down=True)
    lines = read_upright(turned, page)
    assert [ln.text for ln in lines] == ["第一行正文。", "第二行正文。"] and turned.calls == 2


# -- the real engine -------------------------------------------------------------------------------------
@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every connection or name lookup attempted, even to loopback, is recorded and refused."""
    tried: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        tried.append(args)
        raise OSError("network use in an OCR test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return tried


@pytest.mark.slow
@needs_fonts
def test_real_engine_loads_offline_and_reads_a_drawn_simplified_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    monkeypatch.setattr(index.ocr, "_rapid", None)  # load it here, under the network guard
    page = draw_page(TEXTS["zh-Hans"], script="zh-Hans", dpi=150, noise=20)
    path = _write(tmp_path, "page.png", image_bytes(page, "PNG", dpi=150))
    loaded = load_file(path, "page.png", ocr=OcrOptions(make_ocr_engine("rapidocr")))
    assert no_network == []
    assert loaded.ocr_pages == (1,)
    assert cer(loaded.text, "\n".join(TEXTS["zh-Hans"])) <= 0.02, loaded.text


@pytest.mark.slow
@needs_fonts
def test_real_engine_reads_a_scanned_traditional_pdf_page(tmp_path: Path, no_network: list[Any]) -> None:
    page = draw_page(TEXTS["zh-Hant"], script="zh-Hant", dpi=200, noise=20)
    path = _write(tmp_path, "scan.pdf", image_pdf([page], dpi=200))
    loaded = load_file(path, "scan.pdf", ocr=OcrOptions(make_ocr_engine("rapidocr"), dpi=150))
    assert no_network == []
    assert loaded.ocr_pages == (1,)
    # Measured 4%: the recognizer's alphabet lacks some Traditional characters (項, 責, 績);
    # docs/BENCHMARKS.md, "OCR".
    assert cer(loaded.text, "\n".join(TEXTS["zh-Hant"])) <= 0.08, loaded.text


@pytest.mark.slow
@needs_fonts
def test_real_engine_reads_the_line_under_a_seal_and_not_the_seal(no_network: list[Any]) -> None:
    lines = [*TEXTS["zh-Hans"][:6], "", "中国开发区管理协会", "2025年11月25日"]
    page = draw_page(lines, dpi=150, noise=15)
    scale = 150 / 72
    # The seal covers the ends of three body lines, as a stamp over a signature block does.
    sealed = stamp_seal(
        page, (430 * scale, (72 + 14 * 1.8 * 5.5) * scale), 80 * scale, "改革示范区管委会", "3301020088"
    )
    page_lines = ocr_page_lines(
        read_page(make_ocr_engine("rapidocr"), sealed),
        number=1,
        image_size=sealed.size,
        page_size=(595.0, 842.0),
        min_score=0.72,
    )
    text = lay_out([page_lines]).text
    assert no_network == []
    assert cer(text, "\n".join(lines)) <= 0.02, text


@pytest.mark.slow
@needs_fonts
def test_real_engine_reads_a_page_scanned_upside_down(tmp_path: Path, no_network: list[Any]) -> None:
    page = draw_page(TEXTS["zh-Hans"], script="zh-Hans", dpi=150, noise=20).rotate(180)
    path = _write(tmp_path, "upside_down.png", image_bytes(page, "PNG", dpi=150))
    loaded = load_file(path, "upside_down.png", ocr=OcrOptions(make_ocr_engine("rapidocr")))
    assert cer(loaded.text, "\n".join(TEXTS["zh-Hans"])) <= 0.02, loaded.text  # in order too
