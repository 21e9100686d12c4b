"""A small real project for the web tests: imported files, a tiny codebook, machine suggestions, results.

Built once per test session (import, open coding, modelling take a few
seconds), then copied for every test so that tests never see each other's
changes.  Every test runs on SQLite and on PostgreSQL: there the project is
built once into a template database, and each test gets a fresh copy of it
(``CREATE DATABASE ... TEMPLATE``).
"""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    import zhagen  # noqa: F401
except ModuleNotFoundError:  # a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

flask = pytest.importorskip("flask", reason="the web extra (flask, waitress) is not installed")

from zhagen.project import Project  # noqa: E402

CODEBOOK = """\
codebook: webtest
version: 1
language: zh
title: 网页测试
title_en: Web test
codes:
  - id: capacity
    name_zh: 产能建设
    name_en: capacity building
    level: main_category
    family: pattern
    paradigm_role: strategy
    definition: 新建工厂与生产基地。
    indicators: [工厂, 生产基地, factory, plant]
  - id: new_plant
    name_zh: 新建工厂
    name_en: new plant
    level: category
    parent: capacity
    indicators: [新建工厂, 投产, new plant]
  - id: talent
    name_zh: 人才流动
    name_en: talent mobility
    level: main_category
    family: mechanism
    paradigm_role: strategy
    indicators: [人才, 工程师, engineers, talent]
  - id: policy
    name_zh: 政策支持
    name_en: policy support
    level: main_category
    family: force
    paradigm_role: condition
    indicators: [政策, 补贴, policy, subsidy]
"""

ZH_ALPHA = """\
𠮷野家在宜宾新建工厂，二期生产基地年底投产。
当地政府出台补贴政策，吸引东部工程师和人才回流。
<script>alert("x")</script> 这段文字应当原样显示。
新建工厂带动了上下游配套，政策支持力度很大。
"""

EN_ALPHA = """\
# Greenfield

The company built a new plant in Chengdu and hired two hundred engineers.

A provincial subsidy policy made the factory possible; talent came back from the coast.
"""

ZH_BETA = """\
这家企业把研发中心留在上海，在重庆建设生产基地。
工程师在两地之间流动，地方政策提供人才公寓。
新建工厂已经投产，带来大量就业。
"""


def build(root: Path, database: str | None = None) -> Path:
    """A project at ``root``: three documents in two cases, coded by the machine, with results."""
    from zhagen.corpus.importer import import_sources
    from zhagen.pipeline import code_project
    from zhagen.study import analyse, write_results

    sources = root / "sources"
    (sources / "alpha").mkdir(parents=True)
    (sources / "beta").mkdir(parents=True)
    (sources / "alpha" / "yoshinoya.txt").write_text(ZH_ALPHA, encoding="utf-8")
    (sources / "alpha" / "greenfield.md").write_text(EN_ALPHA, encoding="utf-8")
    (sources / "beta" / "chongqing.txt").write_text(ZH_BETA, encoding="utf-8")
    project_dir = root / "project"
    with Project.init(project_dir, name="网页测试 web test", database=database) as project:
        project.codebook_path.write_text(CODEBOOK, encoding="utf-8")
        report = import_sources(project, [sources])
        assert not report.failed, report.failed
        code_project(project)
        try:
            write_results(project.output_dir, analyse(project))
        except Exception:  # noqa: BLE001 - a tiny corpus may not support a model; tests that need one build it
            pass
    return project_dir


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def web_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


TEMPLATE_DB = "web_template"


@pytest.fixture(scope="session")
def template_project(tmp_path_factory: pytest.TempPathFactory, web_backend: str,
                     request: pytest.FixtureRequest) -> Path:
    if web_backend == "sqlite":
        return build(tmp_path_factory.mktemp("webproject"))
    server = request.getfixturevalue("pg_server")
    # pytest may build this session fixture again when the backend parameter comes round a second time (as under
    # pytest-xdist, where one worker runs its files in turn): start from no template
    server.drop_database(TEMPLATE_DB)
    return build(tmp_path_factory.mktemp("webproject-pg"), server.create_database(TEMPLATE_DB))


@pytest.fixture()
def project_dir(template_project: Path, tmp_path: Path, web_backend: str,
                request: pytest.FixtureRequest) -> Iterator[Path]:
    target = tmp_path / "project"
    shutil.copytree(template_project, target)
    if web_backend == "sqlite":
        yield target
        return
    server = request.getfixturevalue("pg_server")
    name = f"w_{uuid.uuid4().hex[:12]}"
    url = server.create_database(name, template=TEMPLATE_DB)
    settings = target / "zhagen.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace(f"/{TEMPLATE_DB}", f"/{name}"), encoding="utf-8")
    try:
        yield target
    finally:
        server.drop_database(name)


@pytest.fixture()
def app(project_dir: Path) -> Iterator[flask.Flask]:
    from zhagen.web.app import create_app

    application = create_app(project_dir)
    application.config["TESTING"] = True
    yield application
    application.extensions["zhagen"].close()


@pytest.fixture()
def project(app: flask.Flask) -> Project:
    return app.extensions["zhagen"]
