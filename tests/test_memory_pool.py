"""The ``timeline`` command and the processes it starts use Arrow's jemalloc pool (``dashboard.ARROW_POOL``),
unless told another."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

ASK = (
    "import dashboard.cli, multiprocessing as mp, pyarrow as pa\n"
    "from concurrent.futures import ProcessPoolExecutor\n"
    "def pool(): import pyarrow as pa; return pa.default_memory_pool().backend_name\n"
    "if __name__ == '__main__':\n"
    "    with ProcessPoolExecutor(1, mp_context=mp.get_context('spawn')) as helpers:\n"
    "        print(pool(), helpers.submit(pool).result())\n"
)


@pytest.mark.parametrize(("told", "used"), [(None, "jemalloc jemalloc"), ("system", "system system")])
def test_the_cli_and_the_helpers_it_starts_use_the_pool_chosen(tmp_path, told, used):
    script = tmp_path / "ask.py"
    script.write_text(ASK)
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if told:
        env["ARROW_DEFAULT_MEMORY_POOL"] = told
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == used.split()
