"""Write a realistic synthetic events file in the project's CSV format (see :mod:`tests.synthetic`).

python benchmarks/generate.py --events 1000000 -o /tmp/events-1m.csv
python benchmarks/generate.py --events 1000000 --format parquet -o /tmp/events-1m.parquet

Parquet holds the same columns as text (as ``timeline convert`` writes them), zstd-compressed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.io.parquet import COMPRESSION, ROW_GROUP, write_table
from tests.synthetic import THEMES, generate

__all__ = ["THEMES", "generate"]


CHUNK = 1_000_000
"""Events generated at once: a larger file is written a chunk at a time (each its own seed), in
constant memory."""


def write_chunks(n: int, themes: int, seed: int, output: Path, fmt: str) -> None:
    writer: pq.ParquetWriter | pacsv.CSVWriter | None = None
    tmp = output.with_name(output.name + ".part")
    try:
        for i, first in enumerate(range(0, n, CHUNK)):
            table = generate(min(CHUNK, n - first), themes, seed * 1000 + i, first=first + 1)
            if writer is None:
                writer = (
                    pq.ParquetWriter(tmp, table.schema, compression=COMPRESSION)
                    if fmt == "parquet"
                    else pacsv.CSVWriter(tmp, table.schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
                )
            if isinstance(writer, pq.ParquetWriter):
                writer.write_table(table, row_group_size=ROW_GROUP)
            else:
                writer.write_table(table)
            print(f"  {first + len(table):,} events", file=sys.stderr, flush=True)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(output)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--themes", type=int, default=12, help="number of themes, 8-20 (default 12)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)")
    args = ap.parse_args(argv)
    if not 8 <= args.themes <= len(THEMES):
        ap.error(f"--themes must be 8 to {len(THEMES)}")
    t0 = time.perf_counter()
    if args.events <= CHUNK:
        table = generate(args.events, args.themes, args.seed)
        if args.format == "parquet":
            write_table(table, args.output)
        else:
            pacsv.write_csv(table, args.output, pacsv.WriteOptions(quoting_style="needed"))
    else:
        write_chunks(args.events, args.themes, args.seed, args.output, args.format)
    size = args.output.stat().st_size
    print(
        f"wrote {args.output}: {args.events:,} events, {size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
