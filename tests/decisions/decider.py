"""A second process that keeps deciding until a stop file appears (run by the concurrency test).

Usage: python decider.py PROJECT STOPFILE SEED
It accepts and rejects random machine codings, renames codes and moves concepts, as a
researcher in the workbench would while ``zhagen code`` runs in a terminal."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from zhagen import decisions
from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store.coding import list_codes, list_codings


def main(root: str, stop: str, seed: int) -> None:
    rng = random.Random(seed)
    made = 0
    with Project.open(root) as project:
        while not Path(stop).exists():
            with project.read() as session:
                codings = list_codings(session, origin="machine")
                codes = [c for c in list_codes(session) if c.status != "rejected"]
            choice = rng.random()
            try:
                if choice < 0.7 and codings:
                    coding = rng.choice(codings)
                    decisions.set_coding_status(project, coding.id, rng.choice(["accepted", "rejected"]),
                                                coder="second")
                elif choice < 0.9:
                    code = rng.choice(codes)
                    decisions.rename_code(project, code.id, name_zh=f"名{made}", coder="second")
                else:
                    concepts = [c for c in codes if c.level == "concept"]
                    parents = [None] + [c.id for c in codes if c.level == "category"]
                    if concepts:
                        decisions.move_code(project, rng.choice(concepts).id, parent_id=rng.choice(parents),
                                            coder="second")
                made += 1
            except UserError:
                pass  # the coding was replaced by the run meanwhile: pick another
            time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
