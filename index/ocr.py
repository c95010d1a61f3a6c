"""OCR engines: an image in, the text lines the engine sees (pixel boxes, a confidence) out.

The engine is one small `Protocol`, `OcrEngine.read(image) -> list[OcrLine]`; engines
register under a name (`ocr.engine` in the settings picks one) and `make_ocr_engine` builds
it cheaply: the real model loads on the first page, once per process.

- `rapidocr`: RapidOCR on onnxruntime with the PP-OCRv4 detection, direction and
  recognition models that ship inside the `rapidocr-onnxruntime` wheel (Simplified and
  Traditional Chinese, Latin letters and digits). Nothing is downloaded, ever: the model
  files are checked to be inside the package before the engine is built. Chosen over
  Debian's tesseract by measurement (docs/BENCHMARKS.md, "OCR").
- `fake`: deterministic, for unit tests of limits, progress and notes; it "reads" scripted
  pages, or one line naming a digest of the pixels.

Turning lines into the `PageLines` of a page (points, joined fragments, noise dropped) is
`index.ocr_pages`; this module knows nothing of pages.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from index.errors import ConfigError


@dataclass(frozen=True)
class OcrLine:
    """One piece of text the engine found, in the pixels of the image it was given."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    score: float
    """The engine's confidence in the text, 0-1."""


class OcrEngine(Protocol):
    """Reads the text lines of one image (RGB or grayscale), in any order."""

    name: str

    def read(self, image: Image.Image) -> list[OcrLine]: ...


_ENGINES: dict[str, Callable[[], OcrEngine]] = {}


def register_engine(name: str) -> Callable[[Callable[[], OcrEngine]], Callable[[], OcrEngine]]:
    """Class decorator: `make_ocr_engine(name)` builds this engine."""

    def add(constructor: Callable[[], OcrEngine]) -> Callable[[], OcrEngine]:
        _ENGINES[name] = constructor
        return constructor

    return add


def make_ocr_engine(name: str) -> OcrEngine:
    """The engine registered as `name` (cheap: no model loads until the first page)."""
    constructor = _ENGINES.get(name)
    if constructor is None:
        raise ConfigError(f"ocr.engine {name!r} is not an OCR engine; registered: {', '.join(sorted(_ENGINES))}")
    return constructor()


# -- RapidOCR -------------------------------------------------------------------------------
_rapid_lock = threading.Lock()
_rapid: Any = None
"""The one RapidOCR instance of this process (three ONNX sessions, ~100 MB): built once."""


def _model_files(package_dir: Path, config: dict[str, Any]) -> list[Path]:
    return [package_dir / config[part]["model_path"] for part in ("Det", "Cls", "Rec")]


def _load_rapidocr() -> Any:
    """Build the RapidOCR pipeline once per process, from the models inside its wheel."""
    global _rapid
    with _rapid_lock:
        if _rapid is None:
            import rapidocr_onnxruntime
            from rapidocr_onnxruntime.utils import read_yaml

            package_dir = Path(rapidocr_onnxruntime.__file__).resolve().parent
            config = read_yaml(str(package_dir / "config.yaml"))
            missing = [p for p in _model_files(package_dir, config) if not p.is_file()]
            if missing:  # never fetched at run time: the wheel is incomplete
                raise ConfigError(
                    f"the OCR models {', '.join(p.name for p in missing)} are missing from {package_dir}; "
                    "reinstall rapidocr-onnxruntime (scripts/setup.sh)"
                )
            # text_score 0: every line comes back with its score, and `index.ocr_pages` drops
            # the unsure ones by the one setting ocr.min_line_score.
            _rapid = rapidocr_onnxruntime.RapidOCR(text_score=0.0)
        return _rapid


@register_engine("rapidocr")
class RapidOcrEngine:
    """RapidOCR (PP-OCRv4, ONNX) on the CPU; the models load on the first `read`."""

    name = "rapidocr"

    def read(self, image: Image.Image) -> list[OcrLine]:
        """The image read as it stands, without RapidOCR's per-line 180° classifier: on an
        upright page it turns some lines over and loses them (a scanned book's footnotes
        opening （4）“… came back empty; docs/BENCHMARKS.md, "Held-out real files"). A page
        scanned upside down is turned round whole by `index.ocr_pages`."""
        engine = _load_rapidocr()
        result, _elapsed = engine(image.convert("RGB"), use_cls=False)
        return list(_rapid_lines(result or []))


def _rapid_lines(result: Iterable[Sequence[Any]]) -> Iterable[OcrLine]:
    """RapidOCR's `[quad, text, score]` rows as upright boxes."""
    for quad, text, score in result:
        xs = [float(p[0]) for p in quad]
        ys = [float(p[1]) for p in quad]
        if str(text).strip():
            yield OcrLine(str(text), min(xs), min(ys), max(xs), max(ys), float(score))


# -- the fake -------------------------------------------------------------------------------
@register_engine("fake")
@dataclass
class FakeOcrEngine:
    """Deterministic stand-in: each `read` returns the next scripted page, else one line
    naming a digest of the pixels (the same image always reads the same)."""

    pages: list[list[OcrLine]] = field(default_factory=list)
    """Scripted results, one list of lines per `read`, consumed in order."""
    seconds_per_page: float = 0.0
    """Added to `clock` per page, so time limits are tested without waiting."""
    clock: list[float] = field(default_factory=lambda: [0.0])
    """A fake clock (`FakeOcrEngine.now` reads it) that each page advances."""
    calls: int = 0
    name: str = "fake"

    def read(self, image: Image.Image) -> list[OcrLine]:
        self.calls += 1
        self.clock[0] += self.seconds_per_page
        if self.pages:
            return self.pages.pop(0)
        digest = hashlib.sha256(image.convert("L").tobytes()).hexdigest()[:8]
        w, h = image.size
        return [OcrLine(f"扫描页文字{digest}。", w * 0.1, h * 0.1, w * 0.9, h * 0.13, 0.99)]

    def now(self) -> float:
        return self.clock[0]
