"""CLI commands of the method's rigor and of human decisions: agreement, reliability, saturation, decide, export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhagen.cli import app
from zhagen.corpus.importer import import_sources
from zhagen.pipeline import code_project
from zhagen.project import Project
from zhagen.store.coding import list_codings
from zhagen.store.structure import unit_classes
from zhagen.studies import transfer

runner = CliRunner()


def invoke(*args: str):  # noqa: ANN201
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *fragments: str) -> None:  # noqa: ANN001
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_agreement_on_a_published_two_coder_table(tmp_path: Path) -> None:
    # yes/no table 20 / 5 / 10 / 15: kappa 0.400, agreement 0.700
    rows = ["unit,coder,code"]
    cells = [("yes", "yes", 20), ("yes", "no", 5), ("no", "yes", 10), ("no", "no", 15)]
    unit = 0
    for a, b, n in cells:
        for _ in range(n):
            unit += 1
            rows += [f"{unit},A,{a}", f"{unit},B,{b}"]
    path = tmp_path / "codes.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = invoke("agreement", path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert round(data["cohen_kappa"], 3) == 0.4 and round(data["percent_agreement"], 3) == 0.7
    assert data["holsti"] is not None and data["krippendorff_alpha"] is not None and data["per_code"]


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("unit,code\n1,x\n", ["codes.csv", "coder"]),
        ("unit,coder,code\n1,A,x\n2,A,y\n", ["codes.csv"]),
        ("", ["codes.csv"]),
    ],
)
def test_agreement_bad_input(tmp_path: Path, content: str, fragments: list[str]) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(content, encoding="utf-8")
    assert_one_line_error(invoke("agreement", path), *fragments)


def test_agreement_ordinal_text_codes_with_an_order(tmp_path: Path) -> None:
    """Krippendorff (2011)'s ordinal example is numeric; the same data as words with --order gives the same alpha."""
    words = {"1": "low", "2": "mid", "3": "high"}
    rows = [("u1", "1", "1"), ("u2", "2", "2"), ("u3", "3", "3"), ("u4", "3", "2"), ("u5", "2", "2"),
            ("u6", "1", "2"), ("u7", "3", "3"), ("u8", "1", "1")]
    numeric, text = tmp_path / "n.csv", tmp_path / "t.csv"
    numeric.write_text("unit,coder,code\n" + "".join(f"{u},A,{a}\n{u},B,{b}\n" for u, a, b in rows), encoding="utf-8")
    text.write_text("unit,coder,code\n" + "".join(f"{u},A,{words[a]}\n{u},B,{words[b]}\n" for u, a, b in rows),
                    encoding="utf-8")
    by_number = json.loads(invoke("agreement", numeric, "--level", "ordinal", "--json").stdout)
    result = invoke("agreement", text, "--level", "ordinal", "--order", "low,mid,high", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["krippendorff_alpha"] == pytest.approx(by_number["krippendorff_alpha"])
    assert_one_line_error(invoke("agreement", text, "--level", "ordinal"), "--order low,mid,high")
    assert_one_line_error(invoke("agreement", text, "--level", "ordinal", "--order", "low,mid"), "'high'", "--order")


def test_agreement_with_several_codes_per_unit(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text("unit,coder,code\nu1,A,x\nu1,A,y\nu1,B,x\nu2,A,x\nu2,B,x\n", encoding="utf-8")
    result = invoke("agreement", path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["percent_agreement"] == 0.5 and data["holsti"] == pytest.approx(0.8)
    path.write_text("unit,coder,code\nu1,A,1\nu1,A,2\nu1,B,1\n", encoding="utf-8")
    assert_one_line_error(invoke("agreement", path, "--level", "interval"), "u1", "--level nominal")


def test_agreement_interval_level_needs_numbers(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("unit,coder,code\n1,A,x\n1,B,x\n", encoding="utf-8")
    assert_one_line_error(invoke("agreement", path, "--level", "interval"), "codes.csv:2", "number")
    assert_one_line_error(invoke("agreement", path, "--level", "fuzzy"), "fuzzy")


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project of six built-in cases (one reserved), coded by the machine."""
    root = tmp_path_factory.mktemp("cli") / "proj"
    manifest = transfer.manifest()
    keep = sorted(manifest.cases)[:5] + [next(c for c, i in manifest.cases.items() if i.reserved)]
    with Project.init(root) as project:
        shutil.copyfile(transfer.codebook_path(), project.codebook_path)
        files = [path for path, entry in manifest.entries.items() if entry.case_id in keep]
        assert not import_sources(project, files, manifest=manifest).failed
        code_project(project)
    return root


@pytest.fixture()
def project_dir(coded: Path, tmp_path: Path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(coded, target)
    return target


def test_decisions_through_the_cli_and_undo(project_dir: Path) -> None:
    with Project.open(project_dir) as project, project.read() as session:
        suggestion = next(c for c in list_codings(session, origin="machine") if c.confidence)
    assert invoke("decide", "reject", project_dir, suggestion.id, "--coder", "ann").exit_code == 0
    assert invoke("decide", "code", project_dir, suggestion.document_id, suggestion.start, suggestion.end,
                  "market", "--coder", "ann").exit_code == 0
    with Project.open(project_dir) as project, project.read() as session:
        assert next(c for c in list_codings(session) if c.id == suggestion.id).status == "rejected"
        assert [c.code_id for c in list_codings(session, coder="ann")] == ["market"]
    assert "add_coding" in invoke("decide", "undo", project_dir, "--coder", "ann").output
    with Project.open(project_dir) as project, project.read() as session:
        assert list_codings(session, coder="ann") == []
    assert_one_line_error(invoke("decide", "rename", project_dir, "no_such_code", "--name-zh", "x"), "no_such_code")


def test_reliability_of_a_human_against_the_machine(project_dir: Path) -> None:
    with Project.open(project_dir) as project, project.read() as session:
        machine = [c for c in list_codings(session, origin="machine") if c.confidence][:40]
    for coding in machine[:30]:  # the human agrees with 30 suggestions, and codes 10 units differently
        invoke("decide", "code", project_dir, coding.document_id, coding.start, coding.end, coding.code_id,
               "--coder", "ann")
    for coding in machine[30:]:
        invoke("decide", "code", project_dir, coding.document_id, coding.start, coding.end, "jobs_tax",
               "--coder", "ann")
    result = invoke("reliability", project_dir, "--coder", "ann", "--coder", "zhagen", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["coders"] == ["ann", "zhagen"] and data["units"] > 0
    assert {"pattern", "force", "mechanism"} <= set(data["per_family"])
    assert "jobs_tax" in data["per_code"]
    assert_one_line_error(invoke("reliability", project_dir, "--coder", "ann"), "two coders")
    assert_one_line_error(invoke("reliability", project_dir, "--coder", "ann", "--coder", "bob"), "bob")


def test_saturation_and_codes_and_export(project_dir: Path, tmp_path: Path) -> None:
    result = invoke("saturation", project_dir, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["reserved_cases"]) == 1 and "saturated" in data and "rule" in data
    codes = json.loads(invoke("codes", project_dir, "--json").stdout)
    assert any(c["id"] == "market" and c["level"] == "main_category" for c in codes)
    assert invoke("export", project_dir, tmp_path / "p.qdpx").exit_code == 0
    assert invoke("export", project_dir, tmp_path / "c.qdc").exit_code == 0
    assert_one_line_error(invoke("export", project_dir, tmp_path / "p.zip"), "p.zip", ".qdpx")
    fresh = tmp_path / "fresh"
    assert invoke("init", fresh).exit_code == 0
    imported = invoke("import", fresh, tmp_path / "p.qdpx")
    assert imported.exit_code == 0, imported.output
    status = json.loads(invoke("status", fresh, "--json").stdout)
    original = json.loads(invoke("status", project_dir, "--json").stdout)
    assert status["documents"] == original["documents"] and status["cases"] == original["cases"]
    codebook_only = tmp_path / "codebook-only"
    assert invoke("init", codebook_only).exit_code == 0
    imported = invoke("import", codebook_only, tmp_path / "c.qdc", "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["codes_created"] == len(codes)


def test_export_reviewed_work_by_default_or_with_suggestions(project_dir: Path, tmp_path: Path) -> None:
    help_text = " ".join(invoke("export", "--help").output.split())
    assert "--with-suggestions" in help_text and "only reviewed work" in help_text
    assert invoke("code", project_dir).exit_code == 0
    reviewed = invoke("export", project_dir, tmp_path / "r.qdpx")
    everything = invoke("export", project_dir, tmp_path / "a.qdpx", "--with-suggestions")
    assert reviewed.exit_code == everything.exit_code == 0, reviewed.output + everything.output
    assert "suggestions 0" in reviewed.output
    suggested = int(everything.output.split("suggestions ")[1].split(",")[0])
    assert suggested > 0


def test_code_model_and_report_on_a_researchers_project(project_dir: Path) -> None:
    # the copy is coded already, and where a project lies is not what open coding reads: --force codes again
    assert "unchanged_since_run" in json.loads(invoke("code", project_dir, "--json").stdout)
    coded = invoke("code", project_dir, "--json", "--force")
    assert coded.exit_code == 0, coded.output
    assert json.loads(coded.stdout)["codings"] > 0
    modelled = invoke("model", project_dir)
    assert modelled.exit_code == 0, modelled.output
    results = json.loads((project_dir / "output" / "results.json").read_text(encoding="utf-8"))
    assert results["cases"] and results["selective_coding"]["path_model"]["nodes"]
    assert "reliability" not in results  # no gold.csv in this project
    (project_dir / "output" / "report.html").unlink()
    assert invoke("report", project_dir).exit_code == 0
    assert (project_dir / "output" / "report.html").is_file()


def test_model_without_a_codebook_says_what_to_do(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    assert invoke("init", root).exit_code == 0
    (tmp_path / "src" / "c1").mkdir(parents=True)
    (tmp_path / "src" / "c1" / "a.txt").write_text("这是一个测试文档，内容足够长，可以切分成意义单元。", encoding="utf-8")
    assert invoke("import", root, tmp_path / "src").exit_code == 0
    assert_one_line_error(invoke("code", root), "codebook.yaml")
    assert_one_line_error(invoke("report", root), "results.json", "zhagen model")


def test_units_show_their_class_and_the_structure_alone(project_dir: Path) -> None:
    """zhagen units says how each unit is classed (the kind and the rule, or the researcher) and --structure lists
    what open coding left out; a researcher's class shows at once."""
    listed = json.loads(invoke("units", project_dir, "--json").stdout)
    with Project.open(project_dir) as project, project.read() as session:
        stored = unit_classes(session)
    assert stored and {u["id"]: (u["class"], u["rule"]) for u in listed} == stored
    structure = json.loads(invoke("units", project_dir, "--structure", "--json").stdout)
    assert structure and [u["id"] for u in structure] == [u["id"] for u in listed if u["class"] != "substantive"]
    heading = next(u for u in structure if u["class"] == "heading")
    assert invoke("decide", "unit-class", project_dir, heading["id"], "substantive").exit_code == 0
    again = json.loads(invoke("units", project_dir, "--doc", heading["document_id"], "--json").stdout)
    mine = next(u for u in again if u["id"] == heading["id"])
    assert (mine["class"], mine["rule"]) == ("substantive", "researcher")
    assert heading["id"] not in [u["id"] for u in json.loads(invoke("units", project_dir, "--structure",
                                                                    "--json").stdout)]
    table = invoke("units", project_dir, "--doc", heading["document_id"]).stdout
    assert "class" in table and "substantive" in table
