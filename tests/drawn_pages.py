"""Pages the OCR tests and bench/ocr_engines.py draw themselves: known Chinese text on an A4
page image (Debian's Noto CJK fonts, Pillow), and image-only PDFs of such pages.

The texts are our own sentences on development-zone reform, in Simplified and in
Traditional script, so the character error rate of a read is measured against what was drawn.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SERIF = FONT_DIR / "NotoSerifCJK-Regular.ttc"
SANS = FONT_DIR / "NotoSansCJK-Regular.ttc"
FACE = {"zh-Hans": 2, "zh-Hant": 3}
"""Face index inside the .ttc collections: SC and TC."""

SIMPLIFIED = [
    "关于深化开发区管理体制改革的调研报告",
    "一、总体情况",
    "截至2023年底，全省共有各类开发区136个，其中国家级",
    "经济技术开发区21个、国家级高新技术产业开发区12个。",
    "开发区以不到全省5%的土地，贡献了约45%的工业增加值。",
    "二、主要做法",
    "（一）推行“管委会+公司”模式，剥离社会事务管理职能，",
    "聚焦招商引资、项目建设和企业服务等主责主业。",
    "（二）实行全员聘任制和绩效工资制度，打破身份界限。",
]
TRADITIONAL = [
    "關於深化開發區管理體制改革的調研報告",
    "一、總體情況",
    "截至2023年底，全省共有各類開發區136個，其中國家級",
    "經濟技術開發區21個、國家級高新技術產業開發區12個。",
    "開發區以不到全省5%的土地，貢獻了約45%的工業增加值。",
    "二、主要做法",
    "（一）推行「管委會+公司」模式，剝離社會事務管理職能，",
    "聚焦招商引資、項目建設和企業服務等主責主業。",
    "（二）實行全員聘任制和績效工資制度，打破身份界限。",
]
TEXTS = {"zh-Hans": SIMPLIFIED, "zh-Hant": TRADITIONAL}


def fonts_available() -> bool:
    return SERIF.is_file() and SANS.is_file()


def draw_page(
    lines: list[str],
    *,
    script: str = "zh-Hans",
    dpi: int = 200,
    size_pt: float = 14,
    serif: bool = True,
    noise: float = 0.0,
    seed: int = 0,
) -> Image.Image:
    """An A4 page (595 × 842 pt) at `dpi` with `lines` set from the top-left margin, one per
    line, 1.8 line spacing; `noise` adds that much Gaussian grain (0-255 scale), like a scan."""
    scale = dpi / 72
    width, height = round(595 * scale), round(842 * scale)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(SERIF if serif else SANS), round(size_pt * scale), index=FACE[script])
    y = 72 * scale
    for line in lines:
        draw.text((72 * scale, y), line, font=font, fill=0)
        y += size_pt * 1.8 * scale
    if noise:
        rng = np.random.default_rng(seed)
        grain = rng.normal(0, noise, (height, width))
        page = Image.fromarray(np.clip(np.asarray(page, dtype=np.float64) + grain, 0, 255).astype(np.uint8))
    page.info["dpi"] = (dpi, dpi)
    return page.convert("RGB")


def image_pdf(pages: list[Image.Image], dpi: int = 200) -> bytes:
    """A PDF whose pages are only these images (no text layer), as a scanner writes one."""
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out.getvalue()


def image_bytes(page: Image.Image, fmt: str, dpi: int = 200) -> bytes:
    out = io.BytesIO()
    page.save(out, format=fmt, dpi=(dpi, dpi))
    return out.getvalue()


def stamp_seal(page: Image.Image, center: tuple[float, float], radius: float, ring_text: str, serial: str) -> Image.Image:
    """A red round seal (ring, text along the top arc, star, serial number) laid over `page`
    semi-transparently, as a stamp over printed text; `center` and `radius` in pixels."""
    cx, cy = center
    r = radius
    red = (220, 30, 40, 200)
    layer = Image.new("RGBA", page.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=max(2, round(r / 25)))
    font = ImageFont.truetype(str(SANS), round(r * 0.28), index=FACE["zh-Hans"])
    for i, ch in enumerate(ring_text):
        angle = math.radians(-150 + 300 * i / max(1, len(ring_text) - 1))
        glyph = Image.new("RGBA", (round(r * 0.32),) * 2, (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((0, 0), ch, font=font, fill=red)
        glyph = glyph.rotate(-math.degrees(angle), expand=True)
        x, y = cx + r * 0.78 * math.sin(angle), cy - r * 0.78 * math.cos(angle)
        layer.alpha_composite(glyph, (round(x - glyph.width / 2), round(y - glyph.height / 2)))
    star = [
        (cx + (r * 0.3 if k % 2 == 0 else r * 0.12) * math.cos(math.radians(-90 + 36 * k)),
         cy + (r * 0.3 if k % 2 == 0 else r * 0.12) * math.sin(math.radians(-90 + 36 * k)))
        for k in range(10)
    ]
    draw.polygon(star, fill=red)
    small = ImageFont.truetype(str(SANS), round(r * 0.1), index=FACE["zh-Hans"])
    draw.text((cx - r * 0.35, cy + r * 0.55), serial, font=small, fill=red)
    out = page.convert("RGBA")
    out.alpha_composite(layer)
    return out.convert("RGB")
