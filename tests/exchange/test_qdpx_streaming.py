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

from zhagen.exchange import refiqda, refiqda_export
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


def build_mixed(root: Path, database: str | None = None) -> Project:
    """Every rule of the export in a few documents: repeated and missing titles, cases with integer and text
    variables, a code tree with a rejected and a machine code, codings of every origin and status (one twice),
    memos on every kind of target (fixed times), characters XML cannot hold."""
    project = Project.init(root, name="流式导出 test", database=database)
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


PAGES = {"default pages": None, "tiny pages": 2}


@pytest.fixture(scope="module", params=list(PAGES))
def fixture_exports(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The exports of the three fixture projects, with the export's page sizes as shipped and with pages
    of two documents (every page boundary crossed: a case, a source, its codings, the text members)."""
    tmp = tmp_path_factory.mktemp("streaming")
    facts: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as patch:
        if PAGES[request.param] is not None:
            for name in ("DOCUMENT_PAGE", "TEXT_PAGE", "CASE_PAGE"):
                patch.setattr(refiqda_export, name, PAGES[request.param])
        for label, make in (("mixed", lambda: build_mixed(tmp / "mixed")),
                            ("foreign", lambda: build_foreign(tmp / "foreign", tmp)),
                            ("generated", lambda: build_generated(tmp / "generated", 23, sentences=8))):
            project = make()
            try:
                facts.update(exports_of(project, tmp, label))
            finally:
                project.close()
    if os.environ.get("ZHAGEN_WRITE_GOLDEN") == "1" and PAGES[request.param] is None:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(facts, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return facts


# --------------------------------------------------------------------------- same archive as before


def test_streamed_export_equals_what_the_in_memory_builder_wrote(fixture_exports: dict[str, Any]) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(fixture_exports) == sorted(golden)
    for key, expected in golden.items():
        found = fixture_exports[key]
        for part in ("members", "texts", "extras", "stamps", "result"):
            assert found[part] == expected[part], f"{key}: {part}"
        assert found["qde"] == expected["qde"], f"{key}: project.qde differs"


def test_streamed_exports_are_valid_against_the_official_schema(fixture_exports: dict[str, Any]) -> None:
    """The projects zhagen made (the foreign fixture's set lists a code after its sources, against the
    schema's order, and a set goes back as it came)."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    for key, facts in fixture_exports.items():
        if key.startswith("foreign/"):
            continue
        if not schema.validate(etree.fromstring(facts["qde"].encode("utf-8"))):
            pytest.fail(f"{key}: " + "\n".join(str(e) for e in schema.error_log))


def test_the_fixtures_exercise_what_they_are_for(fixture_exports: dict[str, Any]) -> None:
    """Guard against a fixture that silently stopped covering a rule."""
    mixed = fixture_exports["mixed/suggestions"]
    assert mixed["result"]["suggestions"] and mixed["result"]["cases"] == 3 and mixed["result"]["notes"] == 7
    assert "报道 (2) (2)" in mixed["qde"] and "<Links>" in mixed["qde"] and "<Sets>" in mixed["qde"]
    assert mixed["result"]["warnings"]  # characters XML cannot hold
    foreign = fixture_exports["foreign/default"]
    assert "<Graphs>" in foreign["qde"] or "<Sets>" in foreign["qde"]
    assert foreign["result"]["warnings"]  # a set member that is not exported
    assert fixture_exports["generated/default"]["result"]["sources"] == 23


def test_two_streamed_exports_are_byte_identical(tmp_path: Path) -> None:
    project = build_mixed(tmp_path / "p")
    try:
        export_qdpx(project, tmp_path / "a.qdpx", with_suggestions=True)
        export_qdpx(project, tmp_path / "b.qdpx", with_suggestions=True)
    finally:
        project.close()
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()


def test_the_export_reads_one_snapshot_on_both_stores(database: str | None, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of two documents on SQLite and PostgreSQL (where the export asks for a repeatable read)
    give the archive the in-memory builder wrote."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for name in ("DOCUMENT_PAGE", "TEXT_PAGE", "CASE_PAGE"):
        monkeypatch.setattr(refiqda_export, name, 2)
    project = build_mixed(tmp_path / "p", database)
    try:
        found = exports_of(project, tmp_path, "mixed")
    finally:
        project.close()
    for key in ("mixed/default", "mixed/suggestions"):
        assert found[key]["qde"] == golden[key]["qde"], key
        assert found[key]["extras"] == golden[key]["extras"], key
        assert found[key]["members"] == golden[key]["members"], key


# --------------------------------------------------------------------------- memory


def export_peak(project: Project, target: Path) -> int:
    """Peak of Python's allocations (tracemalloc) while one export runs, in bytes."""
    tracemalloc.start()
    try:
        export_qdpx(project, target, with_suggestions=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_corpus_grows(tmp_path: Path) -> None:
    """Four times the documents (and codings) must not take anywhere near four times the memory: the
    in-memory builder held every text, every coding and every member (its peak grew 3.6x here)."""
    n = 100
    small, large = build_generated(tmp_path / "small", n), build_generated(tmp_path / "large", 4 * n)
    try:
        for project in (small, large):  # imports, connections and statement caches are not the export's memory
            export_qdpx(project, tmp_path / "warm.qdpx")
        peak_small = export_peak(small, tmp_path / "small.qdpx")
        peak_large = export_peak(large, tmp_path / "large.qdpx")
    finally:
        small.close()
        large.close()
    with zipfile.ZipFile(tmp_path / "large.qdpx") as zf:
        assert len([n for n in zf.namelist() if n.startswith("sources/")]) == 4 * n + 1
    print(f"export peak: {peak_small} B at {n} documents, {peak_large} B at {4 * n}")
    assert peak_large < 1.8 * peak_small, (peak_small, peak_large)


# --------------------------------------------------------------------------- atomic


def folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("where", ["source", "text"])
def test_a_failure_mid_export_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    where: str) -> None:
    project = build_generated(tmp_path / "p", 12, sentences=5)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "study.qdpx"
    try:
        export_qdpx(project, target, codebook_only=True)
        before = folder_state(out)
        calls = {"n": 0}

        def fail_on_the_fifth(original: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                calls["n"] += 1
                if calls["n"] == 5:
                    raise OSError("disk gone")
                return original(*args, **kwargs)
            return wrapper

        monkeypatch.setattr(refiqda_export, "TEXT_PAGE", 2)
        if where == "source":
            monkeypatch.setattr(refiqda_export._Export, "source", fail_on_the_fifth(refiqda_export._Export.source))
        else:
            monkeypatch.setattr(refiqda_export.store_corpus, "document_texts",
                                fail_on_the_fifth(refiqda_export.store_corpus.document_texts))
        with pytest.raises(OSError, match="disk gone"):
            export_qdpx(project, target)
        assert calls["n"] == 5
        assert folder_state(out) == before
    finally:
        project.close()
