"""OCR engines compared: character error rate (CER, whitespace ignored) and pages per second.

Pages: page 1 of the scanned 09 report (../shared/realdocs, against the hand transcription in
bench/data/09_..._page1_reference.txt) rendered at several DPI, and a Simplified and a
Traditional page drawn with known text (tests/drawn_pages.py, noisy like a scan). Pages/s:
every page of 09, one engine at a time. Engines: RapidOCR as ReformQA runs it (index.ocr,
lines below `ocr.min_line_score` dropped) and Debian's tesseract (chi_sim / chi_tra), when
installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra).
Also prints the engine's line scores on every page, which `ocr.min_line_score` is set from.

Usage: python bench/ocr_engines.py [--scan PDF] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import opencc
import pypdfium2 as pdfium
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

from cer import cer  # noqa: E402
from drawn_pages import TEXTS, draw_page  # noqa: E402

from index.layout import lay_out  # noqa: E402
from index.ocr import OcrLine, make_ocr_engine  # noqa: E402
from index.ocr_pages import ocr_page_lines  # noqa: E402
from index.settings import Settings  # noqa: E402

SCAN = HERE.parent.parent / "shared/realdocs/09_scan_amac_disciplinary_decision_2025-334.pdf"
REFERENCE = HERE / "data/09_scan_amac_disciplinary_decision_2025-334_page1_reference.txt"
Reader = Callable[[Image.Image], str]


def rapid_reader(scores: list[tuple[str, float]]) -> Reader:
    engine, settings = make_ocr_engine("rapidocr"), Settings().ocr

    def read(image: Image.Image) -> str:
        lines: list[OcrLine] = engine.read(image)
        scores.extend((ln.text, ln.score) for ln in lines)
        page = ocr_page_lines(lines, number=1, image_size=image.size, page_size=image.size, min_score=settings.min_line_score)
        return lay_out([page]).text

    return read


def tesseract_reader(lang: str) -> Reader:
    def read(image: Image.Image) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "page.png"
            image.save(path)
            out = subprocess.run(
                ["tesseract", str(path), "stdout", "-l", lang, "--psm", "6"], capture_output=True, text=True, check=True
            )
        return out.stdout

    return read


def render(pdf: pdfium.PdfDocument, index: int, dpi: int) -> Image.Image:
    return pdf[index].render(scale=dpi / 72).to_pil()


def timed(read: Reader, image: Image.Image) -> tuple[str, float]:
    t = time.perf_counter()
    text = read(image)
    return text, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scan", type=Path, default=SCAN)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    t2s = opencc.OpenCC("t2s")
    scores: list[tuple[str, float]] = []
    engines: dict[str, Reader] = {"rapidocr": rapid_reader(scores)}
    if shutil.which("tesseract"):
        engines |= {"tesseract chi_sim": tesseract_reader("chi_sim"), "tesseract chi_tra": tesseract_reader("chi_tra")}
    else:
        print("tesseract not installed: only rapidocr is measured", file=sys.stderr)
    engines["rapidocr"](Image.new("RGB", (200, 100), "white"))  # load the models outside the timings

    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "min_line_score": Settings().ocr.min_line_score,
    }
    pdf = pdfium.PdfDocument(args.scan)
    reference = REFERENCE.read_text(encoding="utf-8")
    rows = []
    print(f"{'engine':20} {'page':32} {'CER':>7} {'CER t2s':>8} {'s':>6}")
    for name, read in engines.items():
        cases: list[tuple[str, Image.Image, str]] = [
            (f"09 p1 {dpi} dpi", render(pdf, 0, dpi), reference) for dpi in ((100, 150, 200, 300) if name == "rapidocr" else (150, 300))
        ]
        for script in ("zh-Hans", "zh-Hant"):
            page = draw_page(TEXTS[script], script=script, dpi=150, noise=20)
            cases.append((f"drawn {script} 150 dpi noise 20", page, "\n".join(TEXTS[script])))
        for label, image, ref in cases:
            text, secs = timed(read, image)
            row = {
                "engine": name,
                "page": label,
                "cer": round(cer(text, ref), 4),
                "cer_t2s": round(cer(t2s.convert(text), t2s.convert(ref)), 4),
                "seconds": round(secs, 2),
            }
            rows.append(row)
            print(f"{name:20} {label:32} {row['cer']:7.2%} {row['cer_t2s']:8.2%} {secs:6.1f}")
    results["pages"] = rows

    speed = {}
    dpi = Settings().ocr.dpi
    for name, read in engines.items():
        if name == "tesseract chi_tra":
            continue
        t = time.perf_counter()
        for i in range(len(pdf)):
            read(render(pdf, i, dpi))
        secs = time.perf_counter() - t
        speed[name] = {"pages": len(pdf), "seconds": round(secs, 1), "pages_per_s": round(len(pdf) / secs, 3)}
        print(f"{name}: {len(pdf)} pages of 09 at {dpi} dpi (render + OCR) in {secs:.1f} s = {len(pdf) / secs:.3f} pages/s")
    results["speed"] = speed

    low = sorted((round(s, 3), t) for t, s in scores if s < 0.9)
    print("rapidocr lines scoring under 0.9 (text, score):", low)
    results["low_scores"] = low
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
