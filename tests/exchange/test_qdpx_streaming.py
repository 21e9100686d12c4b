"""The streamed REFI-QDA export: same archive as the in-memory builder it replaced, flat memory, atomic.

``export_qdpx`` writes ``project.qde`` into its zip member element by element and
reads documents and codings from the store a batch at a time, so that its memory
does not grow with the corpus.  The expectations in
``data/qdpx_streaming_golden.json`` were written by the in-memory builder (one
lxml tree, every member held as bytes) before the export streamed: the canonical
XML of ``project.qde`` (C14N, whitespace included), the member names in order,
a hash of every text member and the extras, for a few projects that exercise
every rule of the export.  After a deliberate change of the format, write them
again with ``ZHAGEN_WRITE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import tracemalloc
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

try:
    import zhagen  # noqa: F401
except ModuleNotFoundError:  # a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import pytest
from lxml import etree

from zhagen.exchange import refiqda
from zhagen.exchange.refiqda import export_qdpx, import_qdpx
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus
from zhagen.units.segment import segment

GOLDEN = Path(__file__).with_name("data") / "qdpx_streaming_golden.json"
SCHEMA = Path(refiqda.__file__).resolve().parent / "schema" / "Project.xsd"
WHEN = datetime(2024, 3, 5, 8, 9, 10)
PHRASES = ["地方政府提供了土地和补贴", "企业决定迁移到成都", "员工对新城市的适应需要时间", "配套基础设施尚未完成",
           "人才短缺是最大的问题", "The firm trusts the local government", "物流成本下降了三成",
           "园区管委会承诺加快审批", "供应链随龙头企业转移", "税收优惠期限为五年"]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def add_doc(project: Project, session: Any, text: str, *, case_id: str | None, title: str | None,
            source: str) -> int:
    s = project.settings
    spans = segment(text, min_chars=s.min_unit_chars, max_chars=s.max_unit_chars)
    return store_corpus.add_document(
        session, text=text, content_hash=sha(text), source=source, kind="txt", encoding="utf-8", title=title,
        language="zh", case_id=case_id, spans=[(x.start, x.end, x.text) for x in spans])


def generated_text(rng: random.Random, sentences: int) -> str:
    return "".join(rng.choice(PHRASES) + rng.choice("。；！") for _ in range(sentences))


def coding_row(doc_id: int, start: int, end: int, code_id: str, coder: str, *, origin: str = "human",
               status: str = "accepted", confidence: float | None = None) -> dict[str, Any]:
    return {"code_id": code_id, "document_id": doc_id, "unit_id": None, "start": start, "end": end, "coder": coder,
            "origin": origin, "status": status, "confidence": confidence, "run_id": None, "version": 1}


def build_mixed(root: Path) -> Project:
    """Every rule of the export in a few documents: repeated and missing titles, cases with integer and text
    variables, a code tree with a rejected and a machine code, codings of every origin and status (one twice),
    memos on every kind of target (fixed times), characters XML cannot hold."""
    project = Project.init(root, name="流式导出 test")
    rng = random.Random(7)
    with project.write() as s:
        store_corpus.upsert_case(s, "c1", title="成都案例", attributes={"year": "2009", "city": "成都"})
        store_corpus.upsert_case(s, "c2", title=None, reserved=True, attributes={"year": "late", "size": "12"})
        store_corpus.upsert_case(s, "c3", title="没有文档的案例")
        titles = ["报道", "报道", "报道 (2)", None, "政策\x01文本", None, "访谈", "报道"]
        docs: list[tuple[int, str]] = []
        for i, title in enumerate(titles):
            text = generated_text(rng, 3 + i) if i != 5 else ""
            case = ("c1", "c2", None)[i % 3]
            source = f"cases/{case or 'loose'}/doc-{i}.txt" if i != 3 else "loose\\windows name.txt"
            docs.append((add_doc(project, s, text, case_id=case, title=title, source=source), text))
        code = store_coding.upsert_code
        code(s, id="root", parent_id=None, name_zh="产业转移", name_en="Transfer", level="core", definition="核心。")
        code(s, id="gov", parent_id="root", name_zh="政府", name_en="Government", level="main_category",
             color="#1f77b4", definition="多行\n定义 & <标签>")
        code(s, id="land", parent_id="gov", name_zh="土地", name_en="Land", level="concept", family="force",
             paradigm_role="condition")
        code(s, id="talent", parent_id=None, name_zh="人才", name_en="Talent", level="main_category", color="#bad")
        code(s, id="old", parent_id=None, name_zh="旧", name_en="Old", level="concept", status="rejected")
        code(s, id="a7", parent_id=None, name_zh="机器 概念", name_en="machine concept", level="concept",
             origin="machine", status="suggested")
        rows = []
        for doc_id, text in docs:
            if not text:
                continue
            n = len(text)
            rows += [coding_row(doc_id, 0, 5, "land", "alice"), coding_row(doc_id, 0, 5, "gov", "bob"),
                     coding_row(doc_id, 2, n - 1, "talent", "alice"),
                     coding_row(doc_id, 1, 4, "a7", "zhagen", origin="machine", status="accepted", confidence=1.0),
                     coding_row(doc_id, 3, 9, "a7", "zhagen", origin="machine", status="suggested",
                                confidence=0.6180339887),
                     coding_row(doc_id, 3, 9, "old", "zhagen", origin="machine", status="rejected", confidence=0.2)]
        rows.append(coding_row(docs[0][0], 0, 5, "land", "alice"))  # the same coding twice
        rows.append(coding_row(docs[1][0], 4, 8, "root", "carol", status="suggested"))  # human, not yet decided
        store_coding.add_codings(s, rows)
        memo = store_coding.add_memo
        memo(s, target_type="project", target_id=None, author="alice", title="总体", text="整体观察\r\n\t& <xml>",
             created_at=WHEN)
        memo(s, target_type="project", target_id=None, author="dora", title="总体", text="同名备忘", created_at=WHEN)
        memo(s, target_type="document", target_id=str(docs[2][0]), author="bob", text="文档备忘", created_at=WHEN)
        memo(s, target_type="document", target_id=str(docs[2][0]), author="alice", text="第二条", created_at=WHEN)
        memo(s, target_type="case", target_id="c1", author="alice", title="案例", text="案例备忘", created_at=WHEN)
        memo(s, target_type="case", target_id="gone", author="alice", text="没有的案例", created_at=WHEN)
        memo(s, target_type="code", target_id="gov", author="bob", title="定义\x02讨论", text="代码备忘",
             created_at=WHEN)
    return project


def build_foreign(root: Path, tmp: Path) -> Project:
    """A MAXQDA-style project imported: foreign GUIDs, users, sets, descriptions and notes go back."""
    from tests.exchange.test_refiqda_foreign import N_CODE, N_PROJ, S_ONE, S_PIC, TEXT, maxqda_style_qde, \
        write_archive

    archive = write_archive(tmp / "maxqda.qdpx", {
        "project.qde": maxqda_style_qde(), f"sources/{S_ONE}.txt": TEXT,
        f"sources/{N_PROJ}.txt": "Day one: the subsidy story dominates.", f"sources/{N_CODE}.txt": "Motives are mixed.",
        f"sources/{S_PIC}.png": b"\x89PNG\r\n\x1a\n"})
    project = Project.init(root)
    import_qdpx(project, archive)
    return project


def build_generated(root: Path, n_docs: int, *, seed: int = 1, sentences: int = 60) -> Project:
    """``n_docs`` documents of about 1,000 characters, five codings each (human, machine accepted, suggested)."""
    project = Project.init(root, name="generated")
    rng = random.Random(seed)
    with project.write() as s:
        for code_id in ("k1", "k2", "k3"):
            store_coding.upsert_code(s, id=code_id, parent_id=None, name_zh=code_id, name_en=code_id, level="concept")
        rows = []
        for i in range(n_docs):
            case = f"case-{i // 50:03d}"
            if i % 50 == 0:
                store_corpus.upsert_case(s, case, title=case, attributes={"wave": str(i // 50)})
            text = generated_text(rng, sentences)
            doc_id = add_doc(project, s, f"{i}：{text}", case_id=case, title=f"document {i % 97}", source=f"{i}.txt")
            rows += [coding_row(doc_id, 0, 12, "k1", "alice"), coding_row(doc_id, 20, 40, "k2", "bob"),
                     coding_row(doc_id, 50, 90, "k3", "zhagen", origin="machine", status="accepted", confidence=0.9),
                     coding_row(doc_id, 100, 130, "k1", "zhagen", origin="machine", status="suggested",
                                confidence=0.5),
                     coding_row(doc_id, 140, 160, "k2", "zhagen", origin="machine", status="rejected")]
        store_coding.add_codings(s, rows)
        store_coding.add_memo(s, target_type="project", target_id=None, author="alice", text="备忘", created_at=WHEN)
    return project


# --------------------------------------------------------------------------- what an archive holds


def canonical_qde(data: bytes) -> str:
    """C14N of ``project.qde`` (whitespace kept), with the exporting version taken out of ``origin``."""
    root = etree.fromstring(data)
    assert root.get("origin", "").startswith("zhagen ")
    root.set("origin", "zhagen")
    return etree.tostring(root, method="c14n").decode("utf-8")


def archive_facts(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        return {
            "members": names,
            "qde": canonical_qde(zf.read("project.qde")),
            "texts": {n: hashlib.sha256(zf.read(n)).hexdigest() for n in names if n.startswith("sources/")},
            "extras": json.loads(zf.read(refiqda.EXTRAS_MEMBER)),
            "stamps": sorted({list(i.date_time) == [1980, 1, 1, 0, 0, 0] for i in zf.infolist()}),
        }


VARIANTS = {"default": {}, "suggestions": {"with_suggestions": True}, "codebook": {"codebook_only": True}}


def exports_of(project: Project, folder: Path, label: str) -> dict[str, Any]:
    facts = {}
    for variant, options in VARIANTS.items():
        target = folder / f"{label}-{variant}.qdpx"
        result = export_qdpx(project, target, **options)
        result.pop("path")
        facts[f"{label}/{variant}"] = {**archive_facts(target), "result": result}
    return facts


@pytest.fixture(scope="module")
def fixture_exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("streaming")
    facts: dict[str, Any] = {}
    for label, make in (("mixed", lambda: build_mixed(tmp / "mixed")),
                        ("foreign", lambda: build_foreign(tmp / "foreign", tmp)),
                        ("generated", lambda: build_generated(tmp / "generated", 23, sentences=8))):
        project = make()
        try:
            facts.update(exports_of(project, tmp, label))
        finally:
            project.close()
    if os.environ.get("ZHAGEN_WRITE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(facts, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return facts


def test_golden_written(fixture_exports: dict[str, Any]) -> None:
    assert GOLDEN.is_file()
