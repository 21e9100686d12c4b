"""Foreign REFI-QDA projects survive a trip through zhagen; .qdc codebooks and qc-style paths import.

Every project here is synthetic: built in the test to reproduce one structural feature of what MAXQDA, NVivo,
ATLAS.ti, QualCoder, Taguette or the ``qc`` tool write (upper-case GUIDs, sibling order that is not alphabetical,
colours, users who coded nothing, sets, graphs, notes as plainTextPath files, selections with several codings,
bare plainTextPath names, other source kinds).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from zhagen.exchange.refiqda import NS_PROJECT, export_qdpx, import_qdc, import_qdpx
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus

NS = {"q": NS_PROJECT}
U_JO, U_IDLE = "F3EA8DA1-BB99-411F-8ED4-011170237B6C", "0A1B2C3D-0000-4000-8000-00000000000A"
C_TOP, C_Z, C_A, C_M = (f"C0000000-0000-4000-8000-00000000000{i}" for i in range(1, 5))
S_ONE, S_PIC = "5A000000-0000-4000-8000-000000000001", "5A000000-0000-4000-8000-000000000002"
SEL = "5E000000-0000-4000-8000-000000000001"
N_PROJ, N_CODE = "40000000-0000-4000-8000-000000000001", "40000000-0000-4000-8000-000000000002"
SET, CASE, VAR = "5E700000-0000-4000-8000-000000000001", "CA000000-0000-4000-8000-000000000001", \
    "7A000000-0000-4000-8000-000000000001"
TEXT = "Interview one. We moved for the land subsidy, and because the city was fast."


def maxqda_style_qde() -> str:
    start = TEXT.index("land subsidy")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{NS_PROJECT}" origin="MAXQDA 24 (Release 24.7.0)" name="field study">
 <Users><User guid="{U_JO}" name="jo"/><User guid="{U_IDLE}" name="idle reviewer"/></Users>
 <CodeBook><Codes>
  <Code guid="{C_TOP}" name="Motives" isCodable="true" color="#ef8256">
   <Description>Why firms move. Apply only the sub-codes.</Description>
   <NoteRef targetGUID="{N_CODE}"/>
   <Code guid="{C_Z}" name="Zoning" isCodable="true" color="#00ff00"/>
   <Code guid="{C_A}" name="Administration speed" isCodable="true"><Description>Fast approvals.</Description></Code>
  </Code>
  <Code guid="{C_M}" name="Money" isCodable="true" color="#1f77b4"><Description>Subsidies of any kind.</Description></Code>
 </Codes></CodeBook>
 <Variables><Variable guid="{VAR}" name="Sector" typeOfVariable="Text"/></Variables>
 <Cases><Case guid="{CASE}" name="Firm A"><Description>A firm.</Description>
  <VariableValue><VariableRef targetGUID="{VAR}"/><TextValue>Chips</TextValue></VariableValue>
  <SourceRef targetGUID="{S_ONE}"/></Case></Cases>
 <Sources>
  <TextSource guid="{S_ONE}" name="Interview 1" plainTextPath="internal://{S_ONE}.txt">
   <Description>Recorded in 2024.</Description>
   <PlainTextSelection guid="{SEL}" startPosition="{start}" endPosition="{start + 12}" creatingUser="{U_JO}">
    <Coding guid="C1000000-0000-4000-8000-000000000001" creatingUser="{U_JO}"><CodeRef targetGUID="{C_M}"/></Coding>
    <Coding guid="C1000000-0000-4000-8000-000000000002" creatingUser="{U_JO}"><CodeRef targetGUID="{C_Z}"/></Coding>
   </PlainTextSelection>
  </TextSource>
  <PictureSource guid="{S_PIC}" name="Site photo" path="internal://{S_PIC}.png"/>
 </Sources>
 <Notes>
  <Note guid="{N_PROJ}" name="Research diary" creatingUser="{U_JO}" creationDateTime="2024-05-01T09:30:00Z"
        plainTextPath="internal://{N_PROJ}.txt"/>
  <Note guid="{N_CODE}" name="On motives" creatingUser="{U_JO}" creationDateTime="2024-05-02T10:00:00Z"
        plainTextPath="internal://{N_CODE}.txt"/>
 </Notes>
 <Sets><Set guid="{SET}" name="Batch 1"><Description>First wave</Description>
  <MemberSource targetGUID="{S_ONE}"/><MemberSource targetGUID="{S_PIC}"/><MemberCode targetGUID="{C_M}"/></Set></Sets>
 <Description>The project as a whole.</Description>
</Project>"""


def write_archive(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.fixture
def maxqda_archive(tmp_path: Path) -> Path:
    return write_archive(tmp_path / "maxqda.qdpx", {
        "project.qde": maxqda_style_qde(),
        f"sources/{S_ONE}.txt": TEXT,
        f"sources/{N_PROJ}.txt": "Day one: the subsidy story dominates.",
        f"sources/{N_CODE}.txt": "Motives are mixed.",
        f"sources/{S_PIC}.png": b"\x89PNG\r\n\x1a\n",
    })


@pytest.fixture
def fresh(tmp_path: Path) -> Project:
    project = Project.init(tmp_path / "target")
    yield project
    project.close()


def qde(archive: Path) -> etree._Element:
    with zipfile.ZipFile(archive) as zf:
        return etree.fromstring(zf.read("project.qde"))


def code_tree(root: etree._Element) -> list[tuple[int, str, str, str | None, str | None]]:
    found: list[tuple[int, str, str, str | None, str | None]] = []

    def walk(element: etree._Element, depth: int) -> None:
        for code in element.iterfind("q:Code", NS):
            description = code.find("q:Description", NS)
            found.append((depth, code.get("guid"), code.get("name"), code.get("color"),
                          None if description is None else description.text))
            walk(code, depth + 1)

    walk(root.find("q:CodeBook/q:Codes", NS), 0)
    return found


def test_a_maxqda_style_project_round_trips_with_its_guids_descriptions_and_order(
        fresh: Project, maxqda_archive: Path, tmp_path: Path) -> None:
    summary = import_qdpx(fresh, maxqda_archive)
    assert summary["sources_skipped"] == {"PictureSource": 1}
    export_qdpx(fresh, tmp_path / "back.qdpx")
    before, after = qde(maxqda_archive), qde(tmp_path / "back.qdpx")
    # Identical GUIDs (as written, upper case), names, colours, descriptions and sibling order (Zoning before
    # Administration speed, Motives before Money): nothing of zhagen's is added to what people read.
    assert code_tree(after) == code_tree(before)
    users = [(u.get("guid"), u.get("name")) for u in after.iterfind("q:Users/q:User", NS)]
    assert users == [(U_JO, "jo"), (U_IDLE, "idle reviewer")]  # also the one who coded nothing
    [source] = after.iterfind("q:Sources/q:TextSource", NS)
    assert (source.get("guid"), source.find("q:Description", NS).text) == (S_ONE, "Recorded in 2024.")
    [selection] = source.iterfind("q:PlainTextSelection", NS)  # one selection with its two codings, as it came
    assert selection.get("guid") == SEL
    assert sorted(c.find("q:CodeRef", NS).get("targetGUID") for c in selection.iterfind("q:Coding", NS)) == [C_Z, C_M]
    assert after.find("q:Cases/q:Case", NS).get("guid") == CASE
    assert after.find("q:Variables/q:Variable", NS).get("guid") == VAR
    notes = {n.get("guid"): (n.get("name"), n.get("creationDateTime"), n.get("creatingUser"))
             for n in after.iterfind("q:Notes/q:Note", NS)}
    assert notes == {N_PROJ: ("Research diary", "2024-05-01T09:30:00Z", U_JO),
                     N_CODE: ("On motives", "2024-05-02T10:00:00Z", U_JO)}
    [kept_set] = after.iterfind("q:Sets/q:Set", NS)
    assert (kept_set.get("guid"), kept_set.get("name"), kept_set.find("q:Description", NS).text) == (
        SET, "Batch 1", "First wave")
    members = [(etree.QName(m).localname, m.get("targetGUID")) for m in kept_set if etree.QName(m).localname != "Description"]
    assert members == [("MemberSource", S_ONE), ("MemberCode", C_M)]  # the picture was not imported
    assert after.find("q:Description", NS).text == "The project as a whole."
    export = export_qdpx(fresh, tmp_path / "again.qdpx")
    assert any("'Batch 1'" in w and "1 member" in w for w in export["warnings"])


def test_foreign_memos_keep_their_author_time_and_text(fresh: Project, maxqda_archive: Path) -> None:
    import_qdpx(fresh, maxqda_archive)
    with fresh.read() as s:
        memos = {m.title: m for m in store_coding.list_memos(s)}
        codes = {c.name_zh: c for c in store_coding.list_codes(s)}
    diary, motives = memos["Research diary"], memos["On motives"]
    assert (diary.target_type, diary.author, diary.text) == ("project", "jo", "Day one: the subsidy story dominates.")
    assert str(diary.created_at) == "2024-05-01 09:30:00"
    assert (motives.target_type, motives.target_id) == ("code", codes["Motives"].id)
    assert codes["Motives"].definition == "Why firms move. Apply only the sub-codes."


def test_a_second_import_of_the_same_project_adds_nothing(fresh: Project, maxqda_archive: Path,
                                                          tmp_path: Path) -> None:
    import_qdpx(fresh, maxqda_archive)
    export_qdpx(fresh, tmp_path / "one.qdpx")
    again = import_qdpx(fresh, maxqda_archive)
    assert (again["codes_created"], again["codings"], again["memos"]) == (0, 0, 0)
    export_qdpx(fresh, tmp_path / "two.qdpx")
    assert (tmp_path / "one.qdpx").read_bytes() == (tmp_path / "two.qdpx").read_bytes()


def test_a_qc_style_project_without_internal_paths_imports_all_codings(fresh: Project, tmp_path: Path) -> None:
    """The qc tool writes plainTextPath="name.txt" with the file in sources/ and no name attribute."""
    text_a, text_b = "line one\nline two about funding\n", "another file\nwith a second code\n"
    selections = "".join(
        f'<PlainTextSelection guid="00000000-0000-4000-8000-0000000001{i:02d}" startPosition="{s}" endPosition="{e}">'
        f'<Coding guid="00000000-0000-4000-8000-0000000002{i:02d}" creatingUser="00000000-0000-4000-8000-000000000009">'
        f'<CodeRef targetGUID="00000000-0000-4000-8000-00000000000{c}"/></Coding></PlainTextSelection>'
        for i, (s, e, c) in enumerate([(0, 8, 1), (9, 17, 2), (18, 30, 1)]))
    project = f"""<Project xmlns="{NS_PROJECT}" origin="qc 1.3.2" name="qc project">
      <Users><User name="cp" guid="00000000-0000-4000-8000-000000000009"/></Users>
      <CodeBook><Codes><Code name="a" guid="00000000-0000-4000-8000-000000000001" isCodable="true"/>
      <Code name="b" guid="00000000-0000-4000-8000-000000000002" isCodable="true"/></Codes></CodeBook>
      <Sources><TextSource plainTextPath="a.txt" guid="00000000-0000-4000-8000-000000000011">{selections}</TextSource>
      <TextSource plainTextPath="relative://b.txt" guid="00000000-0000-4000-8000-000000000012">
      <PlainTextSelection guid="00000000-0000-4000-8000-000000000199" startPosition="13" endPosition="31">
      <Coding guid="00000000-0000-4000-8000-000000000299" creatingUser="00000000-0000-4000-8000-000000000009">
      <CodeRef targetGUID="00000000-0000-4000-8000-000000000002"/></Coding></PlainTextSelection></TextSource>
      <TextSource plainTextPath="missing.txt" guid="00000000-0000-4000-8000-000000000013"/>
      </Sources></Project>"""
    archive = write_archive(tmp_path / "qc.qdpx", {"project.qde": project, "sources/a.txt": text_a,
                                                  "sources/b.txt": text_b})
    summary = import_qdpx(fresh, archive)
    assert (summary["sources_imported"], summary["codings"]) == (2, 4)
    assert summary["sources_skipped"] == {"TextSource": 1}
    warnings = " | ".join(summary["warnings"])
    assert "without internal:// was read from the file of that name" in warnings and "(x2)" in warnings
    assert "'missing.txt' points outside the archive" in warnings
    with fresh.read() as s:
        titles = sorted(d.title for d in store_corpus.list_documents(s))
    assert titles == ["a.txt", "b.txt"]


def test_a_qdc_codebook_imports(fresh: Project, tmp_path: Path) -> None:
    """A Taguette-style codebook: flat codes with descriptions and colours, in the codebook namespace."""
    path = tmp_path / "codebook.qdc"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Taguette 1.4">'
        '<Codes><Code guid="0d62985c-8b5e-4bba-9c5d-5f0c2c7e5d10" name="interesting" isCodable="true" color="#7777ff">'
        '<Description>Further review required</Description></Code>'
        '<Code guid="0d62985c-8b5e-4bba-9c5d-5f0c2c7e5d11" name="people" isCodable="true">'
        '<Code guid="0d62985c-8b5e-4bba-9c5d-5f0c2c7e5d12" name="people.children" isCodable="true"/></Code>'
        "</Codes></CodeBook>", encoding="utf-8")
    summary = import_qdc(fresh, path)
    assert (summary["codes_created"], summary["warnings"]) == (3, [])
    with fresh.read() as s:
        codes = {c.name_zh: c for c in store_coding.list_codes(s)}
    assert codes["interesting"].definition == "Further review required" and codes["interesting"].color == "#7777ff"
    assert codes["people.children"].parent_id == codes["people"].id
    again = import_qdc(fresh, path)
    assert (again["codes_created"], again["codes_reused"]) == (0, 3)


def test_namespace_and_schema_problems_are_warnings(fresh: Project, tmp_path: Path) -> None:
    path = tmp_path / "odd.qdc"
    path.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:0.9"><Codes>'
                    '<Code guid="0d62985c-8b5e-4bba-9c5d-5f0c2c7e5d10" name="x"/></Codes></CodeBook>', encoding="utf-8")
    summary = import_qdc(fresh, path)
    assert summary["codes_created"] == 1
    warnings = " | ".join(summary["warnings"])
    assert "unexpected XML namespace 'urn:QDA-XML:codebook:0.9'" in warnings
    assert "not valid against the REFI-QDA Codebook.xsd" in warnings
    archive = write_archive(tmp_path / "odd.qdpx", {"project.qde": f'<Project xmlns="{NS_PROJECT}"><CodeBook><Codes>'
                                                    '<Code guid="0d62985c-8b5e-4bba-9c5d-5f0c2c7e5d10" name="x"'
                                                    ' isCodable="yes"/></Codes></CodeBook></Project>'})
    warnings = " | ".join(import_qdpx(fresh, archive)["warnings"])
    assert "not valid against the REFI-QDA Project.xsd" in warnings and "isCodable" in warnings


def test_a_qdc_that_is_not_a_codebook_is_a_user_error(fresh: Project, tmp_path: Path) -> None:
    path = tmp_path / "project.qdc"
    path.write_text(f'<Project xmlns="{NS_PROJECT}" name="p"/>', encoding="utf-8")
    with pytest.raises(Exception, match="not a REFI-QDA codebook"):
        import_qdc(fresh, path)
    with pytest.raises(Exception, match="file not found"):
        import_qdc(fresh, tmp_path / "missing.qdc")
