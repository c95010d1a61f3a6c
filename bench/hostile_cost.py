"""What one hostile report costs to read: time and peak RSS per bomb (issue 12, finding 6).

Each file is generated in a temporary folder and read by `index.loaders.load_file` with the
default limits in a fresh subprocess, so the peak RSS is that file's alone. Bounded: four
files, a 300-second limit each.

    python bench/hostile_cost.py [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BODY = "天津高新区推行法定机构改革,管委会与公司分设,干部工资分为基本工资和绩效工资两部分。\n"

_READ = """
import json, resource, sys, time
from pathlib import Path
from index.errors import LoadError
from index.loaders import ReadLimits, load_file
path = Path(sys.argv[1])
t = time.perf_counter()
try:
    loaded = load_file(path, path.name, limits=ReadLimits(max_chars=2_000_000))
    outcome = f"read: {len(loaded.text):,} characters"
except LoadError as exc:
    outcome = f"refused: {exc.reason[:90]}"
print(json.dumps({"seconds": round(time.perf_counter() - t, 2),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "outcome": outcome}, ensure_ascii=False))
"""


def docx_bomb(path: Path, unpacked_mb: int = 300) -> None:
    """A real .docx whose document.xml unpacks to `unpacked_mb` MB of tiny paragraphs."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info, src.read(info))
                continue
            head, _, tail = src.read(info).decode().partition("<w:body>")
            para = "<w:p><w:r><w:t>开发区</w:t></w:r></w:p>" * 1000
            with dst.open("word/document.xml", "w") as out:
                out.write(f"{head}<w:body>".encode())
                for _ in range(unpacked_mb * 1024 * 1024 // len(para.encode())):
                    out.write(para.encode())
                out.write(tail.encode())


def gbk_text(path: Path, mb: int = 45) -> None:
    chunk = (BODY * 1000).encode("gbk")
    with path.open("wb") as fh:
        for _ in range(mb * 1024 * 1024 // len(chunk)):
            fh.write(chunk)


def utf8_text(path: Path, mb: int = 45) -> None:
    chunk = (BODY * 1000).encode()
    with path.open("wb") as fh:
        for _ in range(mb * 1024 * 1024 // len(chunk)):
            fh.write(chunk)


def many_pages(path: Path, pages: int = 20_000) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    with path.open("wb") as fh:
        writer.write(fh)


CASES = {
    "bomb.docx (300 MB unpacked)": ("bomb.docx", docx_bomb),
    "gbk.txt (45 MB)": ("gbk.txt", gbk_text),
    "utf8.txt (45 MB)": ("utf8.txt", utf8_text),
    "pages.pdf (20,000 pages)": ("pages.pdf", many_pages),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, (name, make) in CASES.items():
            path = Path(tmp) / name
            make(path)
            done = subprocess.run(
                [sys.executable, "-c", _READ, str(path)],
                cwd=REPO,
                env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
                timeout=300,
            )
            result = (
                json.loads(done.stdout.strip().splitlines()[-1])
                if done.returncode == 0
                else {"error": done.stderr[-300:]}
            )
            row = {"file": label, "size_mb": round(path.stat().st_size / 1e6, 2), **result}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
