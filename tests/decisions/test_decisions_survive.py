"""Decisions are the source of truth: the store shows every one after any number of re-runs,
including decisions made by another process while ``zhagen code`` runs."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from decisions_checks import store_against_log
from zhagen import decisions
from zhagen.errors import UserError
from zhagen.pipeline import code_project
from zhagen.project import Project
from zhagen.store.coding import list_codes, list_codings, list_decisions
from zhagen.store.models import Run

HERE = Path(__file__).parent


def machine(project: Project) -> list:
    with project.read() as session:
        return list_codings(session, origin="machine")


def codes(project: Project) -> dict:
    with project.read() as session:
        return {c.id: c for c in list_codes(session)}


def concept_ids(project: Project) -> list[str]:
    return sorted({c.code_id for c in machine(project) if c.code_id.startswith("a") and c.code_id[1:].isdigit()},
                  key=lambda i: int(i[1:]))


def test_every_kind_of_decision_is_in_the_store_after_two_reruns(project_root: Path) -> None:
    with Project.open(project_root) as project:
        suggestions = [c for c in machine(project) if c.confidence is not None]
        accepted, rejected = suggestions[0], suggestions[-1]
        decisions.set_coding_status(project, accepted.id, "accepted", coder="ann")
        decisions.set_coding_status(project, rejected.id, "rejected", coder="ann")
        human = decisions.add_coding(project, document_id=accepted.document_id, start=accepted.start,
                                     end=accepted.start + 3, code_id="research", coder="ann")
        first, second = concept_ids(project)[:2]
        decisions.rename_code(project, first, name_zh="西进建厂", coder="ann")
        decisions.move_code(project, first, parent_id="production", coder="ann")
        decisions.rename_code(project, "policy", name_zh="政策支持", coder="ann")
        decisions.merge_codes(project, second, first, coder="ann")
        for _ in range(2):
            code_project(project)
            assert store_against_log(project) == []
            stored = codes(project)
            assert stored[first].parent_id == "production" and stored[first].name_zh == "西进建厂"
            assert stored[second].status == "merged" and stored["policy"].name_zh == "政策支持"
            pairs = {(c.unit_id, c.code_id): c.status for c in machine(project)}
            assert pairs[(accepted.unit_id, accepted.code_id)] == "accepted"
            assert pairs[(rejected.unit_id, rejected.code_id)] == "rejected"
            with project.read() as session:
                assert [c.id for c in list_codings(session, origin="human")] == [human]


def test_a_persons_coding_with_a_machine_concept_survives_a_rerun(project_root: Path) -> None:
    """A human coding pointing at concept a1 kept the old run from deleting the concept (foreign key)."""
    with Project.open(project_root) as project:
        concept = concept_ids(project)[0]
        unit = next(c for c in machine(project) if c.code_id != concept)
        coding = decisions.add_coding(project, document_id=unit.document_id, start=unit.start, end=unit.end,
                                      code_id=concept, coder="ann")
        decisions.reject_code(project, concept, coder="ann")
        code_project(project)
        with project.read() as session:
            assert [c.id for c in list_codings(session, origin="human")] == [coding]
        assert codes(project)[concept].status == "rejected"
        assert store_against_log(project) == []


def test_a_rejected_concept_keeps_its_id_and_its_verdict(project_root: Path) -> None:
    with Project.open(project_root) as project:
        concept = concept_ids(project)[-1]
        members = {c.unit_id for c in machine(project) if c.code_id == concept}
        decisions.reject_code(project, concept, coder="ann")
        for _ in range(2):
            code_project(project)
            assert codes(project)[concept].status == "rejected"
            again = [c for c in machine(project) if c.code_id == concept]
            assert {c.unit_id for c in again} == members and {c.status for c in again} == {"rejected"}


def test_merging_a_code_into_its_own_descendant_is_refused(project_root: Path) -> None:
    with Project.open(project_root) as project:
        with pytest.raises(UserError, match="own descendant"):
            decisions.merge_codes(project, "forces", "cost", coder="ann")
        assert codes(project)["cost"].parent_id == "forces"
    done = subprocess.run([sys.executable, "-m", "zhagen.cli", "decide", "merge", str(project_root), "forces", "cost"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "own descendant" in done.stderr


def test_decisions_made_by_another_process_while_code_runs_are_not_reverted(project_root: Path, tmp_path: Path) -> None:
    """The way it failed: a second process decides while `zhagen code` runs; afterwards the store
    must show the last decision on everything, as the log records it."""
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    decider = subprocess.Popen([sys.executable, str(HERE / "decider.py"), str(project_root), str(stop), "7"], env=env)
    try:
        with Project.open(project_root) as project:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with project.read() as session:
                    if len(list_decisions(session)) >= 5:
                        break
                time.sleep(0.05)
        done = subprocess.run([sys.executable, "-m", "zhagen.cli", "code", str(project_root)],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        time.sleep(0.3)
    finally:
        stop.touch()
        decider.wait(timeout=60)
    assert decider.returncode == 0
    with Project.open(project_root) as project:
        with project.read() as session:
            runs = session.scalars(select(Run).where(Run.kind == "code").order_by(Run.id)).all()
        assert store_against_log(project) == []
        assert runs[-1].summary["decisions_made_during_run"] > 0, "the second process must decide while the run computes"


# ------------------------------------------------------------- property: any sequence, any re-runs

STEP = st.one_of(
    st.tuples(st.sampled_from(["accept", "reject", "rename", "undo", "rerun"]), st.integers(0, 10_000)),
    st.tuples(st.just("move"), st.integers(0, 10_000)),
)


def _apply(project: Project, step: tuple[str, int]) -> None:
    action, pick = step
    if action == "rerun":
        code_project(project)
        return
    if action == "undo":
        decisions.undo_last(project, coder="ann")
        return
    codings = machine(project)
    stored = sorted(c for c, code in codes(project).items() if code.status not in {"rejected", "merged"})
    if action in {"accept", "reject"}:
        coding = codings[pick % len(codings)]
        decisions.set_coding_status(project, coding.id, "accepted" if action == "accept" else "rejected", coder="ann")
    elif action == "rename":
        decisions.rename_code(project, stored[pick % len(stored)], name_zh=f"名{pick}", coder="ann")
    else:
        concepts = [c for c in stored if c.startswith("a") and c[1:].isdigit()]
        parents = [None, "cost", "policy", "production", "research"]
        decisions.move_code(project, concepts[pick % len(concepts)], parent_id=parents[pick % len(parents)],
                            coder="ann")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=12))
def test_any_sequence_of_decisions_and_reruns_leaves_the_store_as_the_log_says(
    copy_project: Callable[[Path], AbstractContextManager[Path]], steps: list[tuple[str, int]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp, copy_project(Path(tmp) / "proj") as root:
        with Project.open(root) as project:
            for step in steps:
                _apply(project, step)
            if steps[-1][0] != "rerun":
                code_project(project)
            assert store_against_log(project) == []
            before = sorted((c.unit_id, c.code_id, c.status) for c in machine(project))
            code_project(project)
            assert store_against_log(project) == []
            assert sorted((c.unit_id, c.code_id, c.status) for c in machine(project)) == before
