"""REFI-QDA exchange: export, conformance (official XSD, pyrefiqda), round trips, foreign imports."""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

try:
    import zhagen  # noqa: F401
except ModuleNotFoundError:  # a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from zhagen.errors import UserError
from zhagen.exchange import refiqda
from zhagen.exchange.refiqda import NS_PROJECT, export_qdc, export_qdpx, import_qdpx, refi_guid
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus
from zhagen.units.segment import segment

pyrefiqda = pytest.importorskip("pyrefiqda")

SCHEMA_DIR = Path(refiqda.__file__).resolve().parent / "schema"
NS = {"q": NS_PROJECT}

# Astral characters (𠮷 is U+20BB7, 😀 U+1F600, 👍🏽 a modified emoji) before the coded spans.
DOC1 = "𠮷野家的老板说😀👍🏽：我们信任地方政府。政府提供了土地和补贴，企业决定迁移到成都。\n第二段：员工对新城市的适应需要时间。"
DOC2 = (
    "比亚迪在西安的工厂扩建。地方政府承诺配套基础设施；企业担心人才短缺。\r\n"
    'The firm said: "We trust the local government." 🚗 Production started in 2021.'
)
DOC3 = "没有案例的文档：这里只有一段文字，用来检查没有案例的来源。"


# ---------------------------------------------------------------------------
# Building projects through the store API
# ---------------------------------------------------------------------------


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def add_doc(project: Project, session: Any, text: str, *, case_id: str | None, title: str | None, source: str,
            kind: str = "txt") -> int:
    s = project.settings
    spans = segment(text, min_chars=s.min_unit_chars, max_chars=s.max_unit_chars)
    return store_corpus.add_document(
        session, text=text, content_hash=sha(text), source=source, kind=kind, encoding="utf-8", title=title,
        language="zh", case_id=case_id, spans=[(x.start, x.end, x.text) for x in spans],
    )


def unit_at(session: Any, doc_id: int, start: int) -> int | None:
    for unit in store_corpus.list_units(session, document_id=doc_id):
        if unit.start <= start < unit.end:
            return unit.id
    return None


def coding(session: Any, doc_id: int, text: str, needle: str, code_id: str, coder: str, *, origin: str = "human",
           status: str = "accepted", confidence: float | None = None, occurrence: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return {
        "code_id": code_id, "document_id": doc_id, "unit_id": unit_at(session, doc_id, start), "start": start,
        "end": start + len(needle), "coder": coder, "origin": origin, "status": status, "confidence": confidence,
        "run_id": None, "version": 1,
    }


def build_sample(root: Path) -> Project:
    """Three documents, two cases with attributes, a four-level code tree, two human coders, machine codings, memos."""
    project = Project.init(root, name="产业转移研究")
    with project.write() as s:
        store_corpus.upsert_case(s, "cd-boe", title="成都京东方",
                                 attributes={"city": "成都", "province": "四川", "year": "2009", "code": "007"})
        store_corpus.upsert_case(s, "xa-byd", title="西安比亚迪", reserved=True,
                                 attributes={"city": "西安", "province": "陕西", "year": "2021", "code": "12"})
        d1 = add_doc(project, s, DOC1, case_id="cd-boe", title="新闻报道", source="cases/cd-boe/boe-chengdu-display-news.md", kind="md")
        d2 = add_doc(project, s, DOC2, case_id="xa-byd", title=None, source="cases/xa-byd/xian-nev-local-supply-opinions.txt")
        d3 = add_doc(project, s, DOC3, case_id=None, title="孤立文档", source="loose/orphan.txt")
        code = store_coding.upsert_code
        code(s, id="transfer", parent_id=None, name_zh="产业转移", name_en="Industrial transfer", level="core",
             definition="企业跨区域迁移的核心范畴。")
        code(s, id="gov_support", parent_id="transfer", name_zh="政府支持", name_en="Government support",
             level="main_category", family="force", paradigm_role="condition", color="#1f77b4",
             definition="地方政府提供的支持。\nSupport given by local governments.")
        code(s, id="subsidy", parent_id="gov_support", name_zh="补贴", name_en="Subsidy", level="category",
             family="force", paradigm_role="condition")
        code(s, id="land_subsidy", parent_id="subsidy", name_zh="土地补贴", name_en="Land subsidy", level="concept",
             family="force", paradigm_role="condition", color="#abc")
        code(s, id="trust", parent_id="gov_support", name_zh="信任", name_en="Trust", level="category",
             family="force", paradigm_role="condition")
        code(s, id="trust_gov", parent_id="trust", name_zh="政府信任", name_en="Trust in government",
             level="concept", family="force", paradigm_role="condition", definition='含 <特殊> & "引号"')
        code(s, id="talent", parent_id=None, name_zh="人才", name_en="Talent", level="main_category",
             family="labour_market", color="#12345678")  # a family of the study's own, not a generic one
        code(s, id="misc", parent_id=None, name_zh="杂项", name_en="", level="concept", status="rejected")
        code(s, id="a12", parent_id=None, name_zh="工厂 扩建", name_en="工厂 扩建", level="concept",
             origin="machine", status="suggested")
        store_coding.add_codings(s, [
            coding(s, d1, DOC1, "信任地方政府", "trust_gov", "alice"),
            coding(s, d1, DOC1, "信任地方政府", "trust", "bob"),
            coding(s, d1, DOC1, "土地和补贴", "land_subsidy", "bob"),
            coding(s, d1, DOC1, "政府提供了土地和补贴", "subsidy", "zhagen", origin="machine", status="rejected",
                   confidence=0.41),
            # crosses the boundary of two meaning units
            coding(s, d1, DOC1, "企业决定迁移到成都。\n第二段", "transfer", "alice"),
            coding(s, d2, DOC2, "We trust the local government.", "trust_gov", "alice"),
            coding(s, d2, DOC2, "人才短缺", "talent", "bob"),
            coding(s, d2, DOC2, "工厂扩建", "a12", "zhagen", origin="machine", status="suggested",
                   confidence=0.7300000000000001),
            coding(s, d2, DOC2, "地方政府承诺配套基础设施", "gov_support", "zhagen", origin="machine",
                   status="accepted", confidence=1.0),
            coding(s, d3, DOC3, "没有案例", "misc", "alice"),
        ])
        store_coding.add_memo(s, target_type="project", target_id=None, author="alice", title="研究备忘",
                              text="整体观察：\n政府支持是关键。\r\n\tTabbed line & <xml> chars \"'")
        store_coding.add_memo(s, target_type="document", target_id=str(d2), author="bob", text="政策文本，注意日期。")
        store_coding.add_memo(s, target_type="case", target_id="cd-boe", author="alice", title="案例备忘",
                              text="成都案例的补充说明。")
        store_coding.add_memo(s, target_type="code", target_id="trust_gov", author="bob", title="定义讨论",
                              text="信任与合法性的区别？\n第二行")
    return project


def snapshot(project: Project) -> dict[str, Any]:
    """Everything REFI-QDA holds, keyed by content rather than by database ids."""
    with project.read() as s:
        docs = store_corpus.list_documents(s)
        text = {d.id: store_corpus.document_text(s, d.id) for d in docs}
        units = {u.id: (text[u.document_id], u.position, u.start, u.end) for u in store_corpus.list_units(s)}
        codings = sorted(
            (text[c.document_id], c.code_id, c.start, c.end, c.coder, c.origin, c.status, c.confidence,
             units[c.unit_id] if c.unit_id is not None else None)
            for c in store_coding.list_codings(s)
        )
        cases = [(c.id, c.title, c.reserved, c.attributes, sorted(text[d] for d in c.document_ids))
                 for c in store_corpus.list_cases(s)]
        memos = sorted(
            (m.target_type, text[int(m.target_id)] if m.target_type == "document" else m.target_id, m.author,
             m.title, m.text)
            for m in store_coding.list_memos(s)
        )
        codes = sorted((c.id, c.parent_id, c.name_zh, c.name_en, c.level, c.family, c.paradigm_role, c.definition,
                        c.origin, c.status, c.color) for c in store_coding.list_codes(s))
        documents = sorted((text[d.id], d.title, d.source, d.kind, d.encoding, d.language, d.case_id) for d in docs)
        unit_spans = sorted(units.values())
    return {"documents": documents, "units": unit_spans, "codes": codes, "codings": codings, "cases": cases,
            "memos": memos}


def counts(project: Project) -> dict[str, Any]:
    with project.read() as s:
        return {**project.status(), "codes": len(store_coding.list_codes(s)),
                "codings": len(store_coding.list_codings(s)), "memos": len(store_coding.list_memos(s))}


@pytest.fixture
def sample(tmp_path: Path) -> Project:
    project = build_sample(tmp_path / "source")
    yield project
    project.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Project:
    project = Project.init(tmp_path / "target")
    yield project
    project.close()


def project_xml(archive: Path) -> etree._Element:
    with zipfile.ZipFile(archive) as zf:
        return etree.fromstring(zf.read("project.qde"))


def xsd(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / name)))


def assert_valid(schema: etree.XMLSchema, document: etree._Element) -> None:
    if not schema.validate(document):
        pytest.fail("\n".join(str(e) for e in schema.error_log))


# ---------------------------------------------------------------------------
# Export: conformance
# ---------------------------------------------------------------------------


def test_export_counts(sample: Project, tmp_path: Path) -> None:
    """By default only reviewed codings leave: 10 stored, less one suggestion and one rejected machine coding."""
    summary = export_qdpx(sample, tmp_path / "study.qdpx")
    assert summary == {
        "path": str(tmp_path / "study.qdpx"), "users": 3, "codes": 9, "sources": 3, "codings": 8, "suggestions": 0,
        "cases": 2, "variables": 4, "notes": 4, "warnings": [],
    }
    summary = export_qdpx(sample, tmp_path / "all.qdpx", with_suggestions=True)
    assert (summary["users"], summary["codings"], summary["suggestions"]) == (4, 9, 1)


def test_export_is_valid_against_the_official_project_xsd(sample: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "study.qdpx")
    assert_valid(xsd("Project.xsd"), project_xml(tmp_path / "study.qdpx"))
    export_qdpx(sample, tmp_path / "codebook.qdpx", codebook_only=True)
    assert_valid(xsd("Project.xsd"), project_xml(tmp_path / "codebook.qdpx"))


def test_empty_project_exports_a_valid_archive(fresh: Project, tmp_path: Path) -> None:
    summary = export_qdpx(fresh, tmp_path / "empty.qdpx")
    assert summary["codes"] == summary["sources"] == summary["notes"] == 0
    assert_valid(xsd("Project.xsd"), project_xml(tmp_path / "empty.qdpx"))


def test_pyrefiqda_reads_the_export(sample: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "study.qdpx")
    extract = tmp_path / "extracted"
    proj = pyrefiqda.RefiProject.load(tmp_path / "study.qdpx", extract_dir=str(extract))
    assert proj.name == "产业转移研究"
    assert proj.origin.startswith("zhagen")
    users = {u.guid: u.name for u in proj.users.user}
    assert sorted(users.values()) == ["alice", "bob", "zhagen"]

    # The code tree: nesting by parent_id, names are name_zh, colours only when RGB.
    top = {c.name: c for c in proj.code_book.codes.code}
    assert set(top) == {"产业转移", "人才", "杂项", "工厂 扩建"}
    gov = top["产业转移"].code[0]
    assert gov.name == "政府支持" and gov.color == "#1f77b4"
    assert [c.name for c in gov.code] == ["补贴", "信任"]
    assert gov.code[0].code[0].name == "土地补贴" and gov.code[0].code[0].color == "#abc"
    assert top["人才"].color is None  # "#12345678" is not an RGB value; it travels in the Description
    assert top["杂项"].is_codable is False and gov.is_codable is True
    assert gov.description == "地方政府提供的支持。\nSupport given by local governments."  # the definition only
    trust_gov = gov.code[1].code[0]
    assert len(trust_gov.note_ref) == 1

    # Sources: internal:// plain text files, UTF-8, and code-point selections.
    sources = {s.name: s for s in proj.sources.text_source}
    assert set(sources) == {"新闻报道", "xian-nev-local-supply-opinions.txt", "孤立文档"}
    for source in sources.values():
        assert source.plain_text_path == f"internal://{source.guid}.txt"
        assert source.plain_text_content is None
        path = pyrefiqda.RefiProject.resolve_source_path(source.plain_text_path, extract)
        text = path.read_bytes().decode("utf-8")
        assert text in (DOC1, DOC2, DOC3)
        for selection in source.plain_text_selection:
            assert users[selection.creating_user] in ("alice", "bob", "zhagen")
            assert len(selection.coding) == 1 and selection.coding[0].code_ref.target_guid
            assert 0 <= selection.start_position < selection.end_position <= len(text)
    doc1 = sources["新闻报道"]
    spans = {DOC1[s.start_position:s.end_position] for s in doc1.plain_text_selection}
    assert "信任地方政府" in spans and "土地和补贴" in spans

    # Cases, variables and their values.
    variables = {v.guid: (v.name, v.type_of_variable.value) for v in proj.variables.variable}
    assert sorted(variables.values()) == [("city", "Text"), ("code", "Text"), ("province", "Text"),
                                          ("year", "Integer")]
    cases = {c.name: c for c in proj.cases.case}
    assert set(cases) == {"cd-boe", "xa-byd"}
    values = {variables[v.variable_ref.target_guid][0]: (v.text_value, v.integer_value)
              for v in cases["cd-boe"].variable_value}
    assert values == {"city": ("成都", None), "province": ("四川", None), "year": (None, 2009), "code": ("007", None)}
    assert [r.target_guid for r in cases["cd-boe"].source_ref] == [doc1.guid]

    # Notes: one per memo; document memos referenced from the source, case memos through a link.
    notes = {pyrefiqda.RefiProject.resolve_source_path(n.plain_text_path, extract).read_text("utf-8"): n
             for n in proj.notes.note}
    assert len(notes) == 4
    assert all(n.plain_text_content is None and n.creation_date_time and n.creating_user in users and n.name
               for n in notes.values())
    assert [r.target_guid for r in sources["xian-nev-local-supply-opinions.txt"].note_ref] == [notes["政策文本，注意日期。"].guid]
    assert trust_gov.note_ref[0].target_guid == notes["信任与合法性的区别？\n第二行"].guid
    [link] = proj.links.link
    assert link.origin_guid == notes["成都案例的补充说明。"].guid and link.target_guid == cases["cd-boe"].guid


def test_exported_positions_are_code_points(sample: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "study.qdpx")
    root = project_xml(tmp_path / "study.qdpx")
    with zipfile.ZipFile(tmp_path / "study.qdpx") as zf:
        source = root.find("q:Sources/q:TextSource[@name='新闻报道']", NS)
        text = zf.read(f"sources/{source.get('guid')}.txt").decode("utf-8")
    assert text == DOC1
    selection = next(s for s in source.iterfind("q:PlainTextSelection", NS)
                     if int(s.get("endPosition")) - int(s.get("startPosition")) == len("信任地方政府"))
    start = int(selection.get("startPosition"))
    # 𠮷, 😀, 👍 and 🏽 are one code point each but two UTF-16 units: the offset is in code points.
    assert start == DOC1.index("信任地方政府") == 13
    assert len(DOC1[:start].encode("utf-16-le")) // 2 == start + 4
    assert text[start:int(selection.get("endPosition"))] == "信任地方政府"


def test_two_exports_are_byte_identical(sample: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "a.qdpx")
    export_qdpx(sample, tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()
    reopened = Project.open(sample.root)
    try:
        export_qdpx(reopened, tmp_path / "c.qdpx")
        export_qdc(reopened, tmp_path / "c.qdc")
    finally:
        reopened.close()
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "c.qdpx").read_bytes()
    export_qdc(sample, tmp_path / "d.qdc")
    assert (tmp_path / "c.qdc").read_bytes() == (tmp_path / "d.qdc").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.qdpx") as zf:
        names = zf.namelist()
        assert names[0] == "project.qde" and names[1:] == sorted(names[1:])
        assert all(n.startswith("sources/") and n.endswith(".txt") or n == refiqda.EXTRAS_MEMBER for n in names[1:])
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_guids_are_uuid5_of_zhagen_identities(sample: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "study.qdpx")
    root = project_xml(tmp_path / "study.qdpx")
    assert root.find(f"q:CodeBook//q:Code[@guid='{refi_guid('code', 'trust_gov')}']", NS).get("name") == "政府信任"
    assert root.find(f"q:Cases/q:Case[@guid='{refi_guid('case', 'xa-byd')}']", NS) is not None
    assert root.find(f"q:Users/q:User[@guid='{refi_guid('user', 'bob')}']", NS).get("name") == "bob"
    # Documents are known by their content hash, so the same text has the same GUID in every project.
    assert root.find(f"q:Sources/q:TextSource[@guid='{refi_guid('document', sha(DOC1))}']", NS).get("name") == "新闻报道"


def extras_of(archive: Path) -> dict[str, Any]:
    with zipfile.ZipFile(archive) as zf:
        return json.loads(zf.read(refiqda.EXTRAS_MEMBER))


def test_zhagen_extras_ride_in_their_own_member_not_in_descriptions(sample: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "study.qdpx", with_suggestions=True)
    root = project_xml(tmp_path / "study.qdpx")
    assert "[zhagen]" not in etree.tostring(root, encoding="unicode")
    # Only the unreviewed suggestion carries a readable description, which every program shows.
    [description] = [d.text for d in root.iterfind(".//q:PlainTextSelection/q:Description", NS)]
    assert description == "zhagen machine suggestion, not reviewed (confidence 0.730)"
    guid = refi_guid("code", "gov_support")
    code = root.find(f".//q:Code[@guid='{guid}']/q:Description", NS).text
    assert code == "地方政府提供的支持。\nSupport given by local governments."
    extras = extras_of(tmp_path / "study.qdpx")
    assert extras["codes"][guid] == {
        "id": "gov_support", "level": "main_category", "name_en": "Government support",
        "definition": "地方政府提供的支持。\nSupport given by local governments.", "origin": "codebook",
        "status": "active", "family": "force", "paradigm_role": "condition", "color": "#1f77b4"}
    assert sorted((e["origin"], e["status"]) for e in extras["selections"].values()) == [
        ("machine", "accepted"), ("machine", "suggested")]


def test_default_export_carries_no_unreviewed_suggestion(sample: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "reviewed.qdpx")
    root = project_xml(tmp_path / "reviewed.qdpx")
    coded = {(s.get("startPosition"), s.find("q:Coding/q:CodeRef", NS).get("targetGUID"))
             for s in root.iterfind(".//q:PlainTextSelection", NS)}
    assert len(coded) == 8
    assert refi_guid("code", "a12") not in {guid for _, guid in coded}  # its only coding is a suggestion
    assert root.find("q:Sets", NS) is None
    assert not any(u.get("name").endswith("(machine suggestion)") for u in root.iterfind("q:Users/q:User", NS))


def test_suggestions_are_marked_by_user_and_set(sample: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "all.qdpx", with_suggestions=True)
    root = project_xml(tmp_path / "all.qdpx")
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    marked = [s for s in root.iterfind(".//q:PlainTextSelection", NS)
              if users[s.get("creatingUser")] == "zhagen (machine suggestion)"]
    assert [s.find("q:Coding/q:CodeRef", NS).get("targetGUID") for s in marked] == [refi_guid("code", "a12")]
    [suggestion_set] = root.iterfind("q:Sets/q:Set", NS)
    assert suggestion_set.get("name") == refiqda.SUGGESTIONS_SET
    assert [m.get("targetGUID") for m in suggestion_set.iterfind("q:MemberCode", NS)] == [refi_guid("code", "a12")]
    assert_valid(xsd("Project.xsd"), root)


def test_codebook_only_export(sample: Project, tmp_path: Path) -> None:
    summary = export_qdpx(sample, tmp_path / "codes.qdpx", codebook_only=True)
    assert (summary["codes"], summary["sources"], summary["cases"], summary["notes"], summary["users"]) == (9, 0, 0, 1, 1)
    proj = pyrefiqda.RefiProject.load(tmp_path / "codes.qdpx", extract_dir=str(tmp_path / "x"))
    assert proj.sources is None and proj.cases is None
    [note] = proj.notes.note
    with zipfile.ZipFile(tmp_path / "codes.qdpx") as zf:
        assert zf.namelist() == ["project.qde", f"sources/{note.guid}.txt", refiqda.EXTRAS_MEMBER]
        assert zf.read(f"sources/{note.guid}.txt").decode("utf-8") == "信任与合法性的区别？\n第二行"


def test_export_qdc(sample: Project, tmp_path: Path) -> None:
    summary = export_qdc(sample, tmp_path / "codes.qdc")
    assert summary == {"path": str(tmp_path / "codes.qdc"), "codes": 9, "warnings": []}
    document = etree.parse(str(tmp_path / "codes.qdc"))
    assert document.getroot().tag == "{urn:QDA-XML:codebook:1.0}CodeBook"
    assert_valid(xsd("Codebook.xsd"), document)
    book = pyrefiqda.RefiCodebook.load(tmp_path / "codes.qdc")
    top = {c.name: c for c in book.codes.code}
    assert [c.name for c in top["产业转移"].code[0].code] == ["补贴", "信任"]
    assert top["产业转移"].guid == refi_guid("code", "transfer")


def test_export_errors_are_user_errors(sample: Project, fresh: Project, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="folder does not exist"):
        export_qdpx(sample, tmp_path / "missing" / "x.qdpx")
    with pytest.raises(UserError, match="is a folder"):
        export_qdpx(sample, tmp_path)
    with pytest.raises(UserError, match="no codes"):
        export_qdc(fresh, tmp_path / "empty.qdc")
    assert not (tmp_path / "empty.qdc").exists()


def test_characters_xml_cannot_hold_are_replaced_with_a_warning(fresh: Project, tmp_path: Path) -> None:
    with fresh.write() as s:
        store_coding.upsert_code(s, id="x", parent_id=None, name_zh="名\x01称", name_en="",
                                 level="concept", definition="def\x0bwith vertical tab")
        store_coding.add_memo(s, target_type="project", target_id=None, author="amy", text="bell\x07 and \ufffe")
    summary = export_qdpx(fresh, tmp_path / "x.qdpx")
    assert summary["warnings"] and "U+FFFD" in summary["warnings"][0]
    assert_valid(xsd("Project.xsd"), project_xml(tmp_path / "x.qdpx"))
    # The code definition survives exactly through the extras; names and memos lose the characters.
    other = Project.init(tmp_path / "other")
    try:
        import_qdpx(other, tmp_path / "x.qdpx")
        with other.read() as s:
            [code] = store_coding.list_codes(s)
            [memo] = store_coding.list_memos(s)
        assert code.definition == "def\x0bwith vertical tab" and code.name_zh == "名\ufffd称"
        assert memo.text == "bell\ufffd and \ufffd"
    finally:
        other.close()


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------


def test_round_trip_restores_everything_the_format_holds(sample: Project, fresh: Project, tmp_path: Path) -> None:
    """With suggestions, everything but rejected codings (which never leave) comes back as it was."""
    export_qdpx(sample, tmp_path / "study.qdpx", with_suggestions=True)
    summary = import_qdpx(fresh, tmp_path / "study.qdpx")
    assert summary["warnings"] == []
    assert {k: summary[k] for k in ("sources_imported", "sources_reused", "codes_created", "codings", "cases",
                                    "attributes", "memos")} == {
        "sources_imported": 3, "sources_reused": 0, "codes_created": 9, "codings": 9, "cases": 2,
        "attributes": 8, "memos": 4,
    }
    before, after = snapshot(sample), snapshot(fresh)
    before["codings"] = [c for c in before["codings"] if c[6] != "rejected"]
    for key in before:
        assert after[key] == before[key], key
    with sample.read() as s, fresh.read() as t:
        # Memo times travel as xsd:dateTime to the second.
        assert [m.created_at.replace(microsecond=0) for m in store_coding.list_memos(s)] == [
            m.created_at for m in store_coding.list_memos(t)]
    # Each coded span is the same text as before, astral characters and all.
    with fresh.read() as s:
        texts = {d.id: store_corpus.document_text(s, d.id) for d in store_corpus.list_documents(s)}
        spans = {texts[c.document_id][c.start:c.end] for c in store_coding.list_codings(s)}
    assert {"信任地方政府", "土地和补贴", "We trust the local government.", "企业决定迁移到成都。\n第二段"} <= spans


def test_round_trip_export_is_stable(sample: Project, fresh: Project, tmp_path: Path) -> None:
    """Export, import into a fresh project and export again: the same project.qde (but for its name)."""
    export_qdpx(sample, tmp_path / "one.qdpx")
    import_qdpx(fresh, tmp_path / "one.qdpx")
    export_qdpx(fresh, tmp_path / "two.qdpx")
    one, two = project_xml(tmp_path / "one.qdpx"), project_xml(tmp_path / "two.qdpx")
    one.set("name", "x")
    two.set("name", "x")
    assert etree.tostring(one) == etree.tostring(two)


def test_reimport_adds_nothing_twice(sample: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "study.qdpx")
    before = snapshot(sample)
    summary = import_qdpx(sample, tmp_path / "study.qdpx")
    assert (summary["sources_imported"], summary["sources_reused"]) == (0, 3)
    assert (summary["codes_created"], summary["codes_reused"]) == (0, 9)
    assert (summary["codings"], summary["codings_duplicate"]) == (0, 8)
    assert (summary["memos"], summary["memos_duplicate"]) == (0, 4)
    assert snapshot(sample) == before


def test_import_reuses_content_already_in_the_project(sample: Project, fresh: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "study.qdpx")
    with fresh.write() as s:
        store_corpus.upsert_case(s, "mine")
        existing = add_doc(fresh, s, DOC2, case_id="mine", title="我的副本", source="local/copy.txt")
    summary = import_qdpx(fresh, tmp_path / "study.qdpx")
    assert (summary["sources_imported"], summary["sources_reused"]) == (2, 1)
    with fresh.read() as s:
        docs = store_corpus.list_documents(s)
        assert len(docs) == 3
        mine = next(d for d in docs if d.id == existing)
        assert (mine.title, mine.case_id) == ("我的副本", "mine")  # reused as it was
        on_existing = store_coding.list_codings(s, document_id=existing)
        assert len(on_existing) == 3  # the suggestion on it stayed home
        units = {u.id: u for u in store_corpus.list_units(s, document_id=existing)}
        assert all(units[c.unit_id].start <= c.start < units[c.unit_id].end for c in on_existing)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.text(alphabet=st.sampled_from(list("𠮷😀👍🏽\u200d中文ab \n")), max_size=12),
    body=st.text(alphabet=st.sampled_from(list("政府信任𩸽🚗xyz。")), min_size=1, max_size=10),
    suffix=st.text(alphabet=st.sampled_from(list("。文😀z\r\n")), max_size=8),
)
def test_any_span_survives_the_round_trip(prefix: str, body: str, suffix: str) -> None:
    text = prefix + body + suffix
    if not text.strip():
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = Project.init(root / "a")
        target = Project.init(root / "b")
        try:
            with project.write() as s:
                doc = add_doc(project, s, text, case_id=None, title="t", source="t.txt")
                store_coding.upsert_code(s, id="c", parent_id=None, name_zh="码", name_en="", level="concept")
                store_coding.add_codings(s, [{
                    "code_id": "c", "document_id": doc, "unit_id": None, "start": len(prefix),
                    "end": len(prefix) + len(body), "coder": "amy", "origin": "human", "status": "accepted",
                    "confidence": None, "run_id": None, "version": 1,
                }])
            export_qdpx(project, root / "x.qdpx")
            import_qdpx(target, root / "x.qdpx")
            with target.read() as s:
                [c] = store_coding.list_codings(s)
                assert store_corpus.document_text(s, c.document_id)[c.start:c.end] == body
                assert (c.start, c.end) == (len(prefix), len(prefix) + len(body))
        finally:
            project.close()
            target.close()


# ---------------------------------------------------------------------------
# Importing what other programs write
# ---------------------------------------------------------------------------

U_ANN = "{8A7B1C2D-0000-4000-8000-000000000001}"  # braces and capitals, as NVivo writes them
U_BEN = "8a7b1c2d-0000-4000-8000-000000000002"
C_ROOT, C_MID, C_LEAF, C_FLAT = (f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 5))
S_INLINE, S_FILE, S_OUTSIDE, S_PDF, S_PIC = (f"00000000-0000-4000-9000-00000000000{i}" for i in range(1, 6))
V_AGE, V_TOWN = "00000000-0000-4000-a000-000000000001", "00000000-0000-4000-a000-000000000002"
K_ONE = "00000000-0000-4000-b000-000000000001"
N_CODE, N_SRC, N_FREE = (f"00000000-0000-4000-c000-00000000000{i}" for i in range(1, 4))
INLINE_TEXT = "受访者一：我们相信政府会兑现承诺。但是土地指标很紧张。"
FILE_TEXT = "Interviewee two: we moved because of subsidies. The land was cheap.\nSecond line here."


def foreign_qde() -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Foreign" origin="SomeQDA 12">
  <Users>
    <User guid="{U_ANN}" name="Ann"/>
    <User guid="{U_BEN}" id="ben-id"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="{C_ROOT}" name="Motives" isCodable="false" color="#FF0000">
      <Description>Why firms move</Description>
      <NoteRef targetGUID="{N_CODE}"/>
      <Code guid="{C_MID}" name="Economic" isCodable="true">
        <Code guid="{C_LEAF}" name="补贴" isCodable="true"/>
      </Code>
    </Code>
    <Code guid="{C_FLAT}" name="Trust" isCodable="true"/>
  </Codes></CodeBook>
  <Variables>
    <Variable guid="{V_AGE}" name="age" typeOfVariable="Integer"/>
    <Variable guid="{V_TOWN}" name="town" typeOfVariable="Text"/>
  </Variables>
  <Cases>
    <Case guid="{K_ONE}" name="Firm A">
      <Description>A relocated firm</Description>
      <VariableValue><VariableRef targetGUID="{V_AGE}"/><IntegerValue> 042 </IntegerValue></VariableValue>
      <VariableValue><VariableRef targetGUID="{V_TOWN}"/><TextValue>重庆</TextValue></VariableValue>
      <SourceRef targetGUID="{S_INLINE}"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="{S_INLINE}" name="Interview 1">
      <PlainTextContent>{INLINE_TEXT}</PlainTextContent>
      <PlainTextSelection guid="00000000-0000-4000-d000-000000000001" startPosition="{INLINE_TEXT.index("我们")}" endPosition="{INLINE_TEXT.index("承诺") + 2}"
                          creatingUser="{U_ANN}">
        <Coding guid="00000000-0000-4000-e000-000000000001" creatingUser="{U_ANN}">
          <CodeRef targetGUID="{C_FLAT}"/>
        </Coding>
        <Coding guid="00000000-0000-4000-e000-000000000002" creatingUser="{U_BEN}">
          <CodeRef targetGUID="{C_FLAT.upper()}"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="00000000-0000-4000-d000-000000000002" startPosition="{INLINE_TEXT.index("土地")}" endPosition="{INLINE_TEXT.index("土地") + 4}">
        <Coding guid="00000000-0000-4000-e000-000000000003" creatingUser="{U_BEN}">
          <CodeRef targetGUID="{C_LEAF}"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="00000000-0000-4000-d000-000000000003" startPosition="10" endPosition="999">
        <Coding guid="00000000-0000-4000-e000-000000000004"><CodeRef targetGUID="{C_LEAF}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="00000000-0000-4000-d000-000000000004" startPosition="1" endPosition="3">
        <Coding guid="00000000-0000-4000-e000-000000000005"><CodeRef targetGUID="00000000-0000-4000-8000-999999999999"/></Coding>
      </PlainTextSelection>
      <VariableValue><VariableRef targetGUID="{V_TOWN}"/><TextValue>ignored</TextValue></VariableValue>
    </TextSource>
    <TextSource guid="{S_FILE}" name="Interview 2" plainTextPath="internal://{S_FILE}.txt">
      <PlainTextSelection guid="00000000-0000-4000-d000-000000000005" startPosition="{FILE_TEXT.index("we moved")}" endPosition="{FILE_TEXT.index("we moved") + 29}"
                          creatingUser="{U_BEN}">
        <Coding guid="00000000-0000-4000-e000-000000000006"><CodeRef targetGUID="{C_MID}"/></Coding>
        <NoteRef targetGUID="{N_SRC}"/>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="{S_OUTSIDE}" name="Elsewhere" plainTextPath="relative://../../secret.txt"/>
    <PDFSource guid="{S_PDF}" name="Report.pdf" path="internal://{S_PDF}.pdf">
      <PDFSelection guid="00000000-0000-4000-d000-000000000009" page="1" firstX="0" firstY="0" secondX="5" secondY="5"/>
    </PDFSource>
    <PictureSource guid="{S_PIC}" name="Photo" path="internal://{S_PIC}.jpg"/>
  </Sources>
  <Notes>
    <Note guid="{N_CODE}" name="About motives" creatingUser="{U_ANN}"><PlainTextContent>Motives memo</PlainTextContent></Note>
    <Note guid="{N_SRC}" creatingUser="{U_BEN}"><PlainTextContent>Quotation comment</PlainTextContent></Note>
    <Note guid="{N_FREE}"><PlainTextContent>Free-standing note</PlainTextContent></Note>
  </Notes>
  <Sets><Set guid="00000000-0000-4000-f000-000000000001" name="S"/></Sets>
</Project>"""


def write_archive(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_import_a_foreign_project(fresh: Project, tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "foreign.qdpx", {
        "project.qde": foreign_qde(),
        f"sources/{S_FILE}.txt": b"\xef\xbb\xbf" + FILE_TEXT.encode("utf-8"),  # a BOM is not part of the text
    })
    summary = import_qdpx(fresh, archive)
    assert (summary["sources_imported"], summary["codes_created"], summary["codings"], summary["cases"],
            summary["attributes"], summary["memos"], summary["codings_skipped"]) == (2, 4, 4, 1, 2, 3, 1)
    warnings = " | ".join(summary["warnings"])
    for expected in ("relative://../../secret.txt", "PDF region selections", "PictureSource sources",
                     "outside the text", "not in the codebook", "source variables"):
        assert expected in warnings

    with fresh.read() as s:
        codes = {c.name_zh: c for c in store_coding.list_codes(s)}
        docs = {d.title: d for d in store_corpus.list_documents(s)}
        texts = {d.id: store_corpus.document_text(s, d.id) for d in docs.values()}
        codings = store_coding.list_codings(s)
        units = {u.id: u for u in store_corpus.list_units(s)}
        [case] = store_corpus.list_cases(s)
        memos = {m.text: m for m in store_coding.list_memos(s)}

    # Levels by depth: the three-level tree is main_category > category > concept; a flat code is a concept.
    assert {n: (c.level, c.parent_id is None) for n, c in codes.items()} == {
        "Motives": ("main_category", True), "Economic": ("category", False), "补贴": ("concept", False),
        "Trust": ("concept", True),
    }
    assert codes["Economic"].parent_id == codes["Motives"].id and codes["补贴"].parent_id == codes["Economic"].id
    assert codes["Motives"].definition == "Why firms move" and codes["Motives"].color == "#FF0000"
    assert codes["Motives"].status == "active"  # isCodable="false" is a grouping node, not a rejected code
    assert codes["Trust"].name_en == "Trust" and codes["补贴"].name_en == ""
    assert all(c.origin == "imported" for c in codes.values())

    assert set(docs) == {"Interview 1", "Interview 2"}
    assert texts[docs["Interview 2"].id] == FILE_TEXT
    assert docs["Interview 1"].case_id == "Firm A" and docs["Interview 2"].case_id is None
    assert docs["Interview 1"].language == "zh" and docs["Interview 2"].language == "en"
    assert case.attributes == {"age": "42", "town": "重庆"} and case.title == "A relocated firm"

    got = sorted((texts[c.document_id][c.start:c.end], codes_by_id(codes)[c.code_id], c.coder, c.origin, c.status)
                 for c in codings)
    assert got == [
        ("we moved because of subsidies", "Economic", "ben-id", "human", "accepted"),
        ("土地指标", "补贴", "ben-id", "human", "accepted"),
        ("我们相信政府会兑现承诺", "Trust", "Ann", "human", "accepted"),
        ("我们相信政府会兑现承诺", "Trust", "ben-id", "human", "accepted"),
    ]
    for c in codings:  # the unit containing the selection's start
        unit = units[c.unit_id]
        assert unit.document_id == c.document_id and unit.start <= c.start < unit.end

    assert memos["Motives memo"].target_type == "code" and memos["Motives memo"].target_id == codes["Motives"].id
    assert memos["Motives memo"].author == "Ann" and memos["Motives memo"].title == "About motives"
    assert (memos["Quotation comment"].target_type, memos["Quotation comment"].target_id) == (
        "document", str(docs["Interview 2"].id))
    assert (memos["Free-standing note"].target_type, memos["Free-standing note"].author) == ("project", "unknown")


def codes_by_id(codes: dict[str, Any]) -> dict[str, str]:
    return {c.id: name for name, c in codes.items()}


def test_deep_foreign_trees_are_clamped_at_concept(fresh: Project, tmp_path: Path) -> None:
    nested = ""
    for i in reversed(range(6)):
        nested = f'<Code guid="00000000-0000-4000-8000-0000000000a{i}" name="L{i}" isCodable="true">{nested}</Code>'
    qde = f'<Project xmlns="{NS_PROJECT}" name="deep"><CodeBook><Codes>{nested}</Codes></CodeBook></Project>'
    import_qdpx(fresh, write_archive(tmp_path / "deep.qdpx", {"project.qde": qde}))
    with fresh.read() as s:
        levels = {c.name_zh: c.level for c in store_coding.list_codes(s)}
    assert levels == {"L0": "core", "L1": "main_category", "L2": "category", "L3": "concept", "L4": "concept",
                      "L5": "concept"}


def test_a_coding_that_starts_between_units_goes_to_the_first_unit_inside(fresh: Project, tmp_path: Path) -> None:
    text = "第一句话在这里结束。   第二句话从这里开始。"
    gap = text.index(" ")
    qde = f"""<Project xmlns="{NS_PROJECT}" name="gap">
      <CodeBook><Codes><Code guid="{C_FLAT}" name="x" isCodable="true"/></Codes></CodeBook>
      <Sources><TextSource guid="{S_INLINE}" name="t"><PlainTextContent>{text}</PlainTextContent>
        <PlainTextSelection guid="{S_FILE}" startPosition="{gap + 1}" endPosition="{gap + 8}">
          <Coding guid="{S_PDF}"><CodeRef targetGUID="{C_FLAT}"/></Coding></PlainTextSelection>
      </TextSource></Sources></Project>"""
    import_qdpx(fresh, write_archive(tmp_path / "gap.qdpx", {"project.qde": qde}))
    with fresh.read() as s:
        [c] = store_coding.list_codings(s)
        units = store_corpus.list_units(s, document_id=c.document_id)
    assert [u.text for u in units] == ["第一句话在这里结束。", "第二句话从这里开始。"]
    assert c.unit_id == units[1].id and c.coder == "unknown"


def test_a_failing_import_stores_nothing(sample: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export_qdpx(sample, tmp_path / "study.qdpx")
    target = Project.init(tmp_path / "t")
    try:
        with target.write() as s:
            store_corpus.upsert_case(s, "keep", attributes={"a": "1"})
        before = counts(target)

        def boom(*args: Any, **kwargs: Any) -> None:
            raise UserError("simulated failure while storing codings")

        monkeypatch.setattr(refiqda.store_coding, "add_codings", boom)
        with pytest.raises(UserError, match="simulated"):
            import_qdpx(target, tmp_path / "study.qdpx")
        assert counts(target) == before
        with target.read() as s:
            assert store_coding.list_codes(s) == [] and store_corpus.list_documents(s) == []
    finally:
        target.close()


def test_an_undecodable_source_refuses_the_whole_archive(fresh: Project, tmp_path: Path) -> None:
    qde = foreign_qde()
    archive = write_archive(tmp_path / "bad.qdpx", {"project.qde": qde, f"sources/{S_FILE}.txt": b"\xff\xfa\x00bad"})
    before = counts(fresh)
    with pytest.raises(UserError) as caught:
        import_qdpx(fresh, archive)
    assert caught.value.where == str(archive) and f"sources/{S_FILE}.txt" in caught.value.message
    assert counts(fresh) == before


def test_not_a_refi_project(fresh: Project, tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "x.qdpx", {"project.qde": "<CodeBook xmlns='urn:QDA-XML:codebook:1.0'/>"})
    with pytest.raises(UserError, match="not a REFI-QDA project"):
        import_qdpx(fresh, archive)


def test_a_project_without_namespace_is_read(fresh: Project, tmp_path: Path) -> None:
    qde = f"""<Project name="plain"><CodeBook><Codes><Code guid="{C_FLAT}" name="x" isCodable="true"/></Codes>
      </CodeBook><Sources><TextSource guid="{S_INLINE}" name="t"><PlainTextContent>{INLINE_TEXT}</PlainTextContent>
      <Coding guid="{S_PDF}"><CodeRef targetGUID="{C_FLAT}"/></Coding></TextSource></Sources></Project>"""
    summary = import_qdpx(fresh, write_archive(tmp_path / "plain.qdpx", {"project.qde": qde}))
    assert (summary["sources_imported"], summary["codings"]) == (1, 1)
    with fresh.read() as s:
        [c] = store_coding.list_codings(s)
    assert (c.start, c.end) == (0, len(INLINE_TEXT))  # a Coding on the whole source


def test_codebook_only_archive_imports_codes_and_code_memos(sample: Project, fresh: Project, tmp_path: Path) -> None:
    export_qdpx(sample, tmp_path / "codes.qdpx", codebook_only=True)
    summary = import_qdpx(fresh, tmp_path / "codes.qdpx")
    assert (summary["codes_created"], summary["memos"], summary["sources_imported"]) == (9, 1, 0)
    assert snapshot(fresh)["codes"] == snapshot(sample)["codes"]
    with fresh.read() as s:
        [memo] = store_coding.list_memos(s)
    assert (memo.target_type, memo.target_id, memo.author) == ("code", "trust_gov", "bob")


def test_a_broken_extras_line_is_plain_text() -> None:
    assert refiqda._split_extras("just text") == ("just text", None)
    assert refiqda._split_extras("x\n\n[zhagen] {not json") == ("x\n\n[zhagen] {not json", None)
    assert refiqda._split_extras("x\n\n[zhagen] [1, 2]") == ("x\n\n[zhagen] [1, 2]", None)
    assert refiqda._split_extras('[zhagen] {"a": 1}') == ("", {"a": 1})
    assert refiqda._split_extras('line\n[zhagen] {"a": "多"}') == ("line", {"a": "多"})


# ---------------------------------------------------------------------------
# What QualCoder's REFI-QDA importer needs (read from its source; the importer itself runs in
# test_qualcoder_import.py when a QualCoder checkout is at hand)
# ---------------------------------------------------------------------------


def assert_qualcoder_can_read(archive: Path) -> None:
    """The fields QualCoder's importer reads without a fallback, and the names its tables keep unique."""
    root = project_xml(archive)
    with zipfile.ZipFile(archive) as zf:
        members = set(zf.namelist())
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    assert all(users.values())
    codes = {c.get("guid") for c in root.iter(f"{{{NS_PROJECT}}}Code")}
    variables = {v.get("guid") for v in root.iterfind("q:Variables/q:Variable", NS)}
    notes = list(root.iterfind("q:Notes/q:Note", NS))
    # A note without creationDateTime crashes the import; its text is read from a plainTextPath file only;
    # journal names are unique (a repeated name crashes QualCoder's renaming).
    assert all(n.get("creationDateTime") and n.get("name") for n in notes)
    assert len({n.get("name") for n in notes}) == len(notes)
    for element in [*notes, *root.iterfind("q:Sources/q:TextSource", NS)]:
        path = element.get("plainTextPath")
        assert path.startswith("internal://") and f"sources/{path[len('internal://'):]}" in members
    sources = [s.get("name") for s in root.iterfind("q:Sources/q:TextSource", NS)]
    assert len(set(sources)) == len(sources)
    for selection in root.iter(f"{{{NS_PROJECT}}}PlainTextSelection"):
        assert selection.get("creatingUser") in users
        for coding in selection.iterfind("q:Coding", NS):
            assert coding.find("q:CodeRef", NS).get("targetGUID") in codes
    for ref in root.iterfind("q:Cases/q:Case/q:VariableValue/q:VariableRef", NS):
        assert ref.get("targetGUID") in variables


def test_exports_give_qualcoder_what_its_importer_reads(sample: Project, tmp_path: Path) -> None:
    with sample.write() as s:  # a second untitled memo on the same document, and a repeated document name
        docs = store_corpus.list_documents(s)
        store_coding.add_memo(s, target_type="document", target_id=str(docs[1].id), author="bob", text="再看一遍。")
        add_doc(sample, s, "另一份政策文本。", case_id="xa-byd", title=None, source="other/policy.txt")
    for name, options in (("reviewed.qdpx", {}), ("all.qdpx", {"with_suggestions": True}),
                          ("codes.qdpx", {"codebook_only": True})):
        export_qdpx(sample, tmp_path / name, **options)
        assert_qualcoder_can_read(tmp_path / name)
    names = sorted(n.get("name") for n in project_xml(tmp_path / "all.qdpx").iterfind("q:Notes/q:Note", NS))
    assert "memo on document 2 (2)" in names
