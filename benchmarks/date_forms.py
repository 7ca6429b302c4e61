"""Load time of a file where a share of the dates use historians' forms (c. 1600, 1600?, 1590s,
[1590..1610], 156X, ka; issue #10: within 20%) or written forms (25 Apr 1951, April 29, 1951,
490 BC, between 1951 and 1971, after 1951, circa2y 1951; issue #11), against the same file with
today's forms only.

    python benchmarks/date_forms.py --events 1000000              # this checkout, both files
    python benchmarks/date_forms.py --events 1000000 --code /tmp/old --only plain   # another checkout

Each load runs in its own process, without the cache (``load_timeline``: read and validate).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _picked_points(table: pa.Table, share: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(every date, the point events picked to rewrite, a form 0-6 for each): the same picks for a seed."""
    rng = np.random.default_rng(seed)
    date = np.array(table["date"].to_pylist(), dtype=object)
    end = np.array(table["end_date"].to_pylist(), dtype=object)
    rows = np.flatnonzero((end == "") | (end == None))  # noqa: E711
    pick = rng.choice(rows, size=min(len(rows), int(share * len(date))), replace=False)
    return date, pick, rng.integers(0, 7, len(pick))


def with_new_forms(table: pa.Table, share: float, seed: int = 11) -> pa.Table:
    """``share`` of the point events' dates rewritten in the new forms (the same instants or spans)."""
    date, pick, forms = _picked_points(table, share, seed)
    for i, f in zip(pick.tolist(), forms.tolist()):
        d = date[i]
        year = int(d[:5]) if d.startswith("-") else int(d[:4])
        if f == 0:
            date[i] = f"c. {d}"
        elif f == 1:
            date[i] = f"{d}?"
        elif f == 2:
            date[i] = f"{d}%"
        elif f == 3 and year > 999:
            date[i] = f"{year - year % 10}s"
        elif f == 4 and year > 999:
            date[i] = f"{str(year)[:3]}X"
        elif f == 5 and 0 < year < 2000:
            date[i] = f"[{year:04d}..{year + 20:04d}]"
        elif year < 0:
            date[i] = f"{(1950 - year) / 1000:.1f} ka"
        else:
            date[i] = f"circa {d}"
    return table.set_column(table.column_names.index("date"), "date", pa.array(date, pa.string()))


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def with_written_forms(table: pa.Table, share: float, seed: int = 11) -> pa.Table:
    """``share`` of the point events' dates written out as people write them (25 Apr 1951, April 29,
    1951, Apr 1951, 490 BC, between 1951 and 1971, after 1951, circa2y 1951)."""
    date, pick, forms = _picked_points(table, share, seed)
    for i, f in zip(pick.tolist(), forms.tolist()):
        d = date[i]
        negative = d.startswith("-")
        parts = d.lstrip("-").split("-")
        year, ytext = int(parts[0]), parts[0]  # CE years as the file pads them (0086): 'Dec 86' would be refused
        if negative:
            date[i] = f"{year} BC" if f < 4 else f"c. {year} BC"
            continue
        month = MONTHS[int(parts[1]) - 1] if len(parts) > 1 else None
        day = int(parts[2]) if len(parts) > 2 else None
        if f == 0 and day:
            date[i] = f"{day} {month[:3]} {ytext}"
        elif f == 1 and day:
            date[i] = f"{month} {day}, {ytext}"
        elif f == 2 and month:
            date[i] = f"{month[:3]} {ytext}"
        elif f == 3:
            date[i] = f"between {year} and {year + 20}"
        elif f == 4:
            date[i] = f"after {ytext}"
        elif f == 5:
            date[i] = f"circa2y {ytext}"
        else:
            date[i] = f"AD {ytext}"
    return table.set_column(table.column_names.index("date"), "date", pa.array(date, pa.string()))


def time_load(path: Path, code: Path) -> float:
    script = (
        "import sys, time; sys.path.insert(0, sys.argv[1]);"
        "from dashboard.io.formats import load_timeline;"
        "t0 = time.perf_counter(); tl = load_timeline(sys.argv[2]);"
        "print(time.perf_counter() - t0, len(tl.events))"
    )
    out = subprocess.run([sys.executable, "-c", script, str(code), str(path)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    seconds, n = out.stdout.split()
    print(f"  {path.name} with {code}: {float(seconds):.2f} s ({int(n):,} events)", file=sys.stderr)
    return float(seconds)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--share", type=float, default=0.1)
    ap.add_argument("--dir", type=Path, default=Path("/tmp"))
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose dashboard package loads the files")
    ap.add_argument("--only", choices=("plain", "new", "written"), help="time one file only")
    args = ap.parse_args(argv)
    from tests.synthetic import generate

    plain = args.dir / f"dates-plain-{args.events}.csv"
    new = args.dir / f"dates-new-{args.events}-{args.share}.csv"
    written = args.dir / f"dates-written-{args.events}-{args.share}.csv"
    if not plain.exists() or not new.exists() or not written.exists():
        t0 = time.perf_counter()
        table = generate(args.events)
        options = pacsv.WriteOptions(quoting_style="needed")
        pacsv.write_csv(table, plain, options)
        pacsv.write_csv(with_new_forms(table, args.share), new, options)
        pacsv.write_csv(with_written_forms(table, args.share), written, options)
        print(f"wrote {plain}, {new} and {written} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    results = {}
    for name, path in (("plain", plain), ("new", new), ("written", written)):
        if args.only in (None, name):
            results[name] = time_load(path, args.code)
    for name in ("new", "written"):
        if name in results and "plain" in results:
            print(f"{name} forms / plain: {results[name] / results['plain']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
