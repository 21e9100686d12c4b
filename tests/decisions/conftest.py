"""A small coded project for the decision tests: the engine tests' cases, a codebook of six codes."""

from __future__ import annotations

import shutil
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


@pytest.fixture(scope="session")
def coded_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A coded project, built once; tests copy it."""
    root = tmp_path_factory.mktemp("decisions") / "proj"
    sources = root.parent / "sources"
    for case, texts in CASES.items():
        for number, text in enumerate(texts):
            path = sources / case / f"doc{number}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    with Project.init(root) as project:
        project.codebook_path.write_text(CODEBOOK, encoding="utf-8")
        assert not import_sources(project, [sources]).failed
        code_project(project)
    return root


@pytest.fixture()
def project_root(coded_project: Path, tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(coded_project, root)
    return root
