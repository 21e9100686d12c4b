"""Per-unit work on a real Dask cluster (a LocalCluster of worker processes) gives the single-machine result."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (zhagen[cluster])")

from zhagen.coding import parallel  # noqa: E402
from zhagen.corpus.importer import import_sources  # noqa: E402
from zhagen.pipeline import code_project  # noqa: E402
from zhagen.project import Project  # noqa: E402
from zhagen.store.coding import list_codings  # noqa: E402
from zhagen.studies import transfer  # noqa: E402
from zhagen.study import analyse, dumps  # noqa: E402

CASES = ("cd-boe", "cq-aito", "cd-tianfu-dc", "cq-bit-innovation")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[tuple[str, object]]:
    """A real scheduler with two worker processes on loopback, stopped after the module."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local.scheduler_address, local


def coded_project(root: Path, address: str | None) -> tuple[list[tuple], str]:
    sources = root.parent / "sources"
    for case in CASES:
        folder = transfer.cases_dir() / case
        shutil.copytree(folder, sources / case, ignore=shutil.ignore_patterns("case.yaml"))
    with parallel.cluster(address), Project.init(root) as project:
        shutil.copyfile(transfer.codebook_path(), project.codebook_path)
        assert not import_sources(project, [sources]).failed
        code_project(project)
        results = analyse(project)
        with project.read() as session:
            rows = sorted((c.unit_id, c.code_id, c.status, round(c.confidence or 0, 9)) for c in list_codings(session))
    return rows, dumps(results)


def test_a_cluster_maps_chunks_in_order_on_its_worker_processes(scheduler: tuple[str, object]) -> None:
    address, _ = scheduler
    texts = [f"text {i}" for i in range(101)]
    with parallel.cluster(address):
        rows = parallel.map_rows(lambda chunk: [(os.getpid(), t) for t in chunk], texts)
    assert [t for _, t in rows] == texts
    assert os.getpid() not in {pid for pid, _ in rows}
    assert len({pid for pid, _ in rows}) == 2


def test_coding_and_modelling_on_the_cluster_equal_the_single_machine_run(
    scheduler: tuple[str, object], tmp_path: Path
) -> None:
    address, local = scheduler
    alone = coded_project(tmp_path / "alone" / "project", None)
    on_cluster = coded_project(tmp_path / "cluster" / "project", address)
    assert on_cluster[0] == alone[0] and len(alone[0]) > 100
    assert on_cluster[1] == alone[1]
    assert local.scheduler.task_prefixes  # the work went through the scheduler


def test_an_unreachable_scheduler_is_one_line(cli, project_dir: Path) -> None:
    result = cli("code", project_dir, "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler" in result.stderr
    assert "Traceback" not in result.output


def closed_project(root: Path, address: str | None) -> list[tuple]:
    """Three cases coded with the code system closed, then a fourth added and coded against it."""
    first, later = root.parent / "first", root.parent / "later"
    for folder, cases in ((first, CASES[:3]), (later, CASES[3:])):
        for case in cases:
            shutil.copytree(transfer.cases_dir() / case, folder / case, ignore=shutil.ignore_patterns("case.yaml"))
    with parallel.cluster(address), Project.init(root) as project:
        shutil.copyfile(transfer.codebook_path(), project.codebook_path)
        assert not import_sources(project, [first]).failed
        code_project(project, close=True)
        assert not import_sources(project, [later]).failed
        outcome = code_project(project)
        assert any("units to code were computed, the others' results kept" in note for note in outcome.notes)
        with project.read() as session:
            return sorted((c.unit_id, c.code_id, c.status, round(c.confidence or 0, 9)) for c in list_codings(session))


def test_coding_against_a_closed_code_system_on_the_cluster_equals_the_single_machine_run(
    scheduler: tuple[str, object], tmp_path: Path
) -> None:
    address, local = scheduler
    alone = closed_project(tmp_path / "alone" / "project", None)
    before = local.scheduler.transition_counter
    on_cluster = closed_project(tmp_path / "cluster" / "project", address)
    assert on_cluster == alone and len(alone) > 100
    assert local.scheduler.transition_counter > before  # the work went through the scheduler
