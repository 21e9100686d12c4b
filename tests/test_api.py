"""The Python API: docs/api.md's example runs as written, and the tables hold what the store holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pandas = pytest.importorskip("pandas")

import zhagen  # noqa: E402
from zhagen.api import ProjectData, Results  # noqa: E402
from zhagen.errors import UserError  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def code_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_the_documented_example_runs_and_returns_dataframes() -> None:
    blocks = code_blocks(DOC)
    assert len(blocks) >= 4
    namespace: dict = {}
    try:
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)
    finally:
        if isinstance(namespace.get("project"), ProjectData):
            namespace["project"].close()
    for name in ("documents", "cases", "units", "codings", "codes"):
        assert isinstance(namespace[name], pandas.DataFrame), name
    assert isinstance(namespace["results"], Results)
    assert all(isinstance(f, pandas.DataFrame) for f in namespace["frames"].values())
    documents, units = namespace["documents"], namespace["units"]
    assert set(units["document_id"]) == set(documents["id"])
    assert namespace["codes"]["n_suggested"].sum() == len(namespace["codings"])


def test_open_project_reads_what_the_store_holds(tmp_path: Path) -> None:
    (tmp_path / "src" / "alpha").mkdir(parents=True)
    (tmp_path / "src" / "alpha" / "a.txt").write_text("政府提供了土地。企业决定迁移到成都。", encoding="utf-8")
    with zhagen.init_project(tmp_path / "p") as project:
        project.import_sources([tmp_path / "src"])
    with zhagen.open_project(tmp_path / "p") as project:
        documents, cases, units = project.documents(), project.cases(), project.units()
        assert list(documents["case_id"]) == ["alpha"] and list(cases["id"]) == ["alpha"]
        assert "".join(units["text"]) == "政府提供了土地。企业决定迁移到成都。"
        assert project.codings().empty and list(project.codings().columns)[:3] == ["id", "code_id", "code"]
        with pytest.raises(UserError, match="no results yet"):
            project.results()


def test_zhagen_exposes_only_the_api_functions() -> None:
    assert zhagen.open_project is zhagen.api.open_project
    with pytest.raises(AttributeError):
        zhagen.no_such_thing  # noqa: B018
