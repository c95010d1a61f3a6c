"""Red ink on a scanned page: a seal stamped over the text, a red masthead (红头).

A red seal laid over black text hides that text from the detector: on the scanned 09 report
the signature line under the seal was not read at all, and on a drawn page a body line
crossing a seal vanished (docs/BENCHMARKS.md, "OCR"). So a page with red ink is read twice:

1. with its red ink turned white: every black line, the ones under a seal included, and no
   seal;
2. each horizontal band of red ink, in its own colours: red text. Of those lines only the
   ones a reader reads as a line are kept: lying flat (at least three times as wide as tall),
   spanning at least half the band's width (a masthead or a red heading fills its band) and
   not already read in the first pass. A seal's ring text is curved, so the detector cuts
   it into short tilted or upright pieces, and its serial number is small inside the ring:
   both go.

A page without red ink (nearly every text page) is read once, as before.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from index.ocr import OcrEngine, OcrLine

RED_MIN_FRACTION = 0.0005
"""Share of a page's pixels that must be red before a second look is worth its time (a seal
on an A4 page at 150 DPI is ~0.6%; JPEG colour fringes stay far below this)."""
MIN_BAND_PX = 12
"""Red bands thinner than this are rules (the red line under a masthead), not text."""


def red_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels of red ink: red well above green and blue (black, grey and blue ink are not)."""
    px = rgb.astype(np.int16)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    return (r - np.maximum(g, b) > 50) & (r > 120)


def _bands(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(x0, top, x1, bottom) of each horizontal band of red ink, with a margin."""
    h, w = mask.shape
    rows = np.flatnonzero(mask.sum(axis=1) >= max(3, w // 500))
    if rows.size == 0:
        return []
    gap = max(4, h // 50)
    splits = np.flatnonzero(np.diff(rows) > gap)
    out = []
    for seg in np.split(rows, splits + 1):
        top, bottom = int(seg[0]), int(seg[-1]) + 1
        if bottom - top < MIN_BAND_PX:
            continue
        cols = np.flatnonzero(mask[top:bottom].any(axis=0))
        x0, x1 = int(np.percentile(cols, 0.5)), int(np.percentile(cols, 99.5)) + 1
        pad = max(4, w // 100)
        out.append((max(0, x0 - pad), max(0, top - pad), min(w, x1 + pad), min(h, bottom + pad)))
    return out


def _overlap(a: OcrLine, b: OcrLine) -> bool:
    """The boxes share more than a third of the smaller one."""
    dx = min(a.x1, b.x1) - max(a.x0, b.x0)
    dy = min(a.bottom, b.bottom) - max(a.top, b.top)
    if dx <= 0 or dy <= 0:
        return False
    smaller = min((a.x1 - a.x0) * (a.bottom - a.top), (b.x1 - b.x0) * (b.bottom - b.top))
    return dx * dy > smaller / 3


def _flat(line: OcrLine) -> bool:
    return (line.x1 - line.x0) >= 3 * (line.bottom - line.top)


def read_page(engine: OcrEngine, image: Image.Image) -> list[OcrLine]:
    """The lines of a page image, red seals looked through and red text kept (module doc)."""
    rgb = np.asarray(image.convert("RGB"))
    mask = red_mask(rgb)
    if mask.mean() < RED_MIN_FRACTION:
        return engine.read(image)
    black = rgb.copy()
    black[mask] = 255
    lines = engine.read(Image.fromarray(black))
    red: list[OcrLine] = []
    for x0, top, x1, bottom in _bands(mask):
        for ln in engine.read(image.crop((x0, top, x1, bottom))):
            moved = OcrLine(ln.text, ln.x0 + x0, ln.top + top, ln.x1 + x0, ln.bottom + top, ln.score)
            spans_band = ln.x1 - ln.x0 >= 0.5 * (x1 - x0)
            if _flat(moved) and spans_band and not any(_overlap(moved, other) for other in lines):
                red.append(moved)
    return lines + red
