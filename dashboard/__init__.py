"""Historical timeline visualizer: a CSV of dated events as an interactive, filterable timeline."""

import os

__version__ = "0.1.0"

ARROW_POOL = "jemalloc"
"""The memory pool Arrow uses in the ``timeline`` command's process and every process it starts (set as
this package is imported, which takes effect only if pyarrow is not imported yet; inherited by the
processes started): jemalloc hands freed memory back to the system where the
default (mimalloc) keeps it. Measured with ``benchmarks/scale.py --events 1000000 --sides duckdb``,
two runs each: the cold start's peak RSS, summed over the server's process tree, 937 and 944 MB
against 1004 and 1032 MB, and its first figure 7.6 and 8.0 s against 8.7 and 8.9 s. A pool named in
the environment is kept; where pyarrow has no jemalloc, Arrow says so and uses its default."""

os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", ARROW_POOL)
