"""QualCoder's own REFI-QDA importer, run headless on zhagen's export of the built-in study.

QualCoder is not published on the package registry, so this test needs a checkout of it: set
``ZHAGEN_QUALCODER_SRC`` to its ``src`` folder (the one holding ``qualcoder/refi.py``) and have PyQt6 in the
Python named by ``ZHAGEN_QUALCODER_PYTHON`` (default: this one).  Without them the test is skipped;
``test_refiqda.py::test_exports_give_qualcoder_what_its_importer_reads`` checks the same export against what
the importer reads, without QualCoder.  The probe (``qualcoder_probe.py``) prints what QualCoder stored in its
SQLite tables; here it is compared with what zhagen exported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhagen import decisions
from zhagen.cli import app
from zhagen.exchange.refiqda import export_qdpx
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus

SRC = os.environ.get("ZHAGEN_QUALCODER_SRC", "")
PYTHON = os.environ.get("ZHAGEN_QUALCODER_PYTHON", sys.executable)
PROBE = Path(__file__).with_name("qualcoder_probe.py")

pytestmark = pytest.mark.skipif(
    not (SRC and (Path(SRC) / "qualcoder" / "refi.py").is_file()),
    reason="set ZHAGEN_QUALCODER_SRC to the src folder of a QualCoder checkout (QualCoder is not on PyPI)",
)


def qualcoder_import(archive: Path, workdir: Path) -> dict:
    workdir.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([PYTHON, str(PROBE), SRC, str(archive), str(workdir)], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in study with reviewed codings (two accepted, one human) and a memo on every kind of thing."""
    out = tmp_path_factory.mktemp("qualcoder") / "study"
    result = CliRunner().invoke(app, ["run", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with Project.open(out) as project:
        with project.read() as s:
            codings = store_coding.list_codings(s)
            docs = store_corpus.list_documents(s)
            case = store_corpus.list_cases(s)[0]
            code = next(c for c in store_coding.list_codes(s) if c.status == "active")
        for coding in codings[:2]:
            decisions.set_coding_status(project, coding.id, "accepted", coder="ann")
        decisions.add_coding(project, document_id=docs[0].id, start=0, end=5, code_id=code.id, coder="ann")
        with project.write() as s:
            store_coding.add_memo(s, target_type="project", target_id=None, author="ann", title="研究日志",
                                  text="整体观察：政府支持是关键。")
            store_coding.add_memo(s, target_type="code", target_id=code.id, author="ann", text="定义需要再讨论。")
            store_coding.add_memo(s, target_type="document", target_id=str(docs[0].id), author="ann",
                                  text="这篇报道的日期要核对。")
            store_coding.add_memo(s, target_type="case", target_id=case.id, author="ann", title="案例备忘",
                                  text="成都案例的补充说明。")
    return out


def test_qualcoder_stores_the_reviewed_export_of_the_built_in_study(study: Path, tmp_path: Path) -> None:
    with Project.open(study) as project:
        summary = export_qdpx(project, tmp_path / "reviewed.qdpx")
        with project.read() as s:
            docs = store_corpus.list_documents(s)
            cases = store_corpus.list_cases(s)
            codes = store_coding.list_codes(s)
            reviewed = [c for c in store_coding.list_codings(s) if c.status == "accepted"]
            texts = {d.id: store_corpus.document_text(s, d.id) for d in docs}
    stored = qualcoder_import(tmp_path / "reviewed.qdpx", tmp_path / "qc")
    assert summary["codings"] == len(reviewed) == 3 and summary["suggestions"] == 0
    assert len(stored["sources"]) == len(docs)
    assert sorted(length for _, length, _, _ in stored["sources"]) == sorted(len(t) for t in texts.values())
    assert len(stored["codes"]) + len(stored["categories"]) == len(codes)
    got = sorted((row[4], row[5]) for row in stored["codings"])  # selected text, coder
    assert got == sorted((texts[c.document_id][c.start:c.end], c.coder) for c in reviewed)
    assert stored["codings_without_code"] == 0
    assert sorted(name for name, _ in stored["cases"]) == sorted(c.id for c in cases)
    assert len([a for a in stored["attributes"] if a[2] == "case"]) == sum(len(c.attributes) for c in cases)
    journals = {name: (text, owner) for name, text, owner, _ in stored["journals"]}
    assert journals["研究日志"] == ("整体观察：政府支持是关键。", "ann")
    assert journals["案例备忘"] == ("成都案例的补充说明。", "ann")
    assert any(text == "定义需要再讨论。" for text, _ in journals.values())
    assert "这篇报道的日期要核对。" in {memo for _, _, memo, _ in stored["sources"]}  # the source memo


def test_qualcoder_shows_which_codings_are_suggestions(study: Path, tmp_path: Path) -> None:
    with Project.open(study) as project:
        summary = export_qdpx(project, tmp_path / "all.qdpx", with_suggestions=True)
    stored = qualcoder_import(tmp_path / "all.qdpx", tmp_path / "qc")
    owners = [row[5] for row in stored["codings"]]
    assert sum(o.endswith("(machine suggestion)") for o in owners) == summary["suggestions"] > 0
    assert len(owners) == summary["codings"]
