"""``python -m dashboard``: the command line (``cli.main``)."""

import os
import sys

from .cli import main

QUICK = ("validate", "convert")
"""Commands that have said and written everything when ``main`` returns: they leave at once, without
tearing down Arrow's thread pools at interpreter exit, which now and then aborts a finished process
(apache/arrow#34314), turning a clean answer into exit status -6."""

try:
    code = main()
except SystemExit as exc:
    if len(sys.argv) < 2 or sys.argv[1] not in QUICK:
        raise
    if not isinstance(exc.code, int) and exc.code is not None:
        print(exc.code, file=sys.stderr)
    code = 1 if not isinstance(exc.code, int) and exc.code is not None else (exc.code or 0)
if len(sys.argv) > 1 and sys.argv[1] in QUICK:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
