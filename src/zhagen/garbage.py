"""The garbage collector set for a program that builds millions of small objects.

Coding a large corpus makes a few objects per unit (its codes, their scores, its
lexicon matches): millions, most of them kept to the end of the run.  CPython
starts a collection every 700 new objects and, every so often, walks every
object it keeps; on the 10,000-document benchmark (520,861 units) those walks
took 5.7 s of a 75 s open coding run, and 2.9 s when a collection starts every
20,000 new objects.  Only objects in reference cycles wait longer to be freed,
and what a collection finds is the same, so the output does not change.

Set where zhagen starts as a program (the command line and the workbench
server), not on import, so that a notebook keeps its own settings.
"""

from __future__ import annotations

import gc

#: New objects between two collections of the youngest generation (CPython's default: 700).
YOUNG_THRESHOLD = 20_000


def fewer_collections() -> None:
    """Collect the youngest generation every :data:`YOUNG_THRESHOLD` new objects; older ones as before."""
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
