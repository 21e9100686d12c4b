"""The command line collects garbage less often than CPython's default; a notebook keeps its own setting."""

from __future__ import annotations

import subprocess
import sys

from zhagen.garbage import YOUNG_THRESHOLD

PROBE = """
import gc, sys
before = gc.get_threshold()
import zhagen.cli
imported = gc.get_threshold()
sys.argv = ["zhagen", "--help"]
try:
    zhagen.cli.main()
except SystemExit:
    pass
print(before[0], imported[0], *gc.get_threshold())
"""


def test_the_command_line_starts_collections_every_young_threshold_new_objects() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    before, imported, young, middle, old = map(int, done.stdout.split()[-5:])
    assert imported == before == 700  # importing zhagen changes nothing
    assert (young, middle, old) == (YOUNG_THRESHOLD, 10, 10)
