"""``python -m dashboard``: the command line (``cli.main``)."""

import os
import sys

from .cli import main

QUICK = ("validate", "convert")
"""Commands that have said and written everything when ``main`` returns: they leave at once, without
tearing down Arrow's thread pools at interpreter exit, which now and then aborts a finished process
(apache/arrow#34314), turning a clean answer into exit status -6."""

quick = len(sys.argv) > 1 and sys.argv[1] in QUICK
try:
    code = main()
except SystemExit as exc:
    if not quick:
        raise
    if isinstance(exc.code, int) or exc.code is None:
        code = exc.code or 0
    else:  # a message, as sys.exit("...") leaves one
        print(exc.code, file=sys.stderr)
        code = 1
if quick:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
