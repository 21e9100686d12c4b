"""A small coded project for the decision tests: the engine tests' cases, a codebook of six codes.

Every test runs on SQLite and on a real PostgreSQL (tests/pgserver.py): there the coded
project is built once into a template database and every copy gets a fresh database made
from it (``CREATE DATABASE ... TEMPLATE``), the way tests/web does."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from coding.test_engine import CASES
from zhagen.corpus.importer import import_sources
from zhagen.pipeline import code_project
from zhagen.project import Project

CODEBOOK = """\
codebook: decisions
version: 1
language: zh
title: 决定测试
title_en: Decision tests
codes:
  - id: core
    name_zh: 核心
    name_en: core
    level: core
  - id: forces
    name_zh: 动力
    name_en: forces
    level: main_category
    family: force
    parent: core
    paradigm_role: condition
  - id: cost
    name_zh: 成本
    name_en: cost
    level: category
    parent: forces
    indicators: [成本, 电价, 用工, costs, labour, land]
  - id: policy
    name_zh: 政策
    name_en: policy
    level: category
    parent: forces
    indicators: [政策, 优惠, 补贴, 政府, policy, subsidies, incentives, government]
  - id: production
    name_zh: 生产
    name_en: production
    level: category
    parent: forces
    indicators: [生产, 产线, 投产, 制造, plant, production, manufacturing]
  - id: research
    name_zh: 研发
    name_en: research
    level: category
    parent: forces
    indicators: [研发, 研究院, 孵化, 专利, incubator, patents, developed]
"""


TEMPLATE_DB = "decisions_template"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def decisions_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def coded_project(tmp_path_factory: pytest.TempPathFactory, decisions_backend: str,
                  request: pytest.FixtureRequest) -> Path:
    """A coded project, built once per backend; tests copy it (see ``copy_project``)."""
    database = None
    if decisions_backend == "postgresql":
        database = request.getfixturevalue("pg_server").create_database(TEMPLATE_DB)
    root = tmp_path_factory.mktemp(f"decisions-{decisions_backend}") / "proj"
    sources = root.parent / "sources"
    for case, texts in CASES.items():
        for number, text in enumerate(texts):
            path = sources / case / f"doc{number}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    with Project.init(root, database=database) as project:
        assert project.backend == decisions_backend
        project.codebook_path.write_text(CODEBOOK, encoding="utf-8")
        assert not import_sources(project, [sources]).failed
        code_project(project)
    return root


@pytest.fixture(scope="session")
def copy_project(coded_project: Path, decisions_backend: str,
                 request: pytest.FixtureRequest) -> Callable[[Path], AbstractContextManager[Path]]:
    """``with copy_project(target) as root:`` a copy of the coded project with its own store
    (a copied zhagen.db, or a new PostgreSQL database made from the template), dropped afterwards."""
    server = request.getfixturevalue("pg_server") if decisions_backend == "postgresql" else None

    @contextmanager
    def copy(target: Path) -> Iterator[Path]:
        shutil.copytree(coded_project, target)
        if server is None:
            yield target
            return
        name = f"d_{uuid.uuid4().hex[:12]}"
        server.create_database(name, template=TEMPLATE_DB)
        settings = target / "zhagen.yaml"
        text = settings.read_text(encoding="utf-8")
        assert f"/{TEMPLATE_DB}" in text
        settings.write_text(text.replace(f"/{TEMPLATE_DB}", f"/{name}"), encoding="utf-8")
        try:
            yield target
        finally:
            server.drop_database(name)

    return copy


@pytest.fixture()
def project_root(copy_project: Callable[[Path], AbstractContextManager[Path]], tmp_path: Path) -> Iterator[Path]:
    with copy_project(tmp_path / "proj") as root:
        yield root
