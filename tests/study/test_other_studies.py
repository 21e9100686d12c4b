"""Studies that are not the built-in one: their own vocabulary only, and no claims where nothing is coded.

``tests/data/eldercare`` is a small study in another field (community elderly care) with its own codebook and
``study.yaml``; ``tests/data/cooking`` holds five cooking-club notes whose codebook codes nothing in them.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from typer.testing import CliRunner

from zhagen.cli import app
from zhagen.corpus.importer import import_sources
from zhagen.corpus.manifest import load_manifest
from zhagen.project import Project
from zhagen.results_model import schema_path
from zhagen.study import analyse, write_all

from .test_engine_knows_no_study import study_terms

DATA = Path(__file__).parent.parent / "data"


def make_project(root: Path, data: Path, manifest: bool) -> Path:
    with Project.init(root) as project:
        shutil.copyfile(data / "codebook.yaml", project.codebook_path)
        if (data / "study.yaml").is_file():
            shutil.copyfile(data / "study.yaml", root / "study.yaml")
        files = sorted(data.rglob("*.txt"))
        report = import_sources(project, files, manifest=load_manifest(data / "manifest.csv") if manifest else None)
        assert not report.failed
    return root


@pytest.fixture(scope="module")
def eldercare(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = make_project(tmp_path_factory.mktemp("eldercare") / "proj", DATA / "eldercare", manifest=True)
    with Project.open(root) as project:
        results = analyse(project)
        write_all(project, project.output_dir, results)
    return root, json.loads((root / "output" / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cooking(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("cooking") / "proj", DATA / "cooking", manifest=False)


def builtin_terms() -> list[str]:
    return [t for t in study_terms() if not t.isascii() or "_" in t or len(t) > 8]


def outputs_text(root: Path) -> str:
    out = root / "output"
    parts = [(out / "results.json").read_text(encoding="utf-8"), (out / "report.html").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8-sig") for p in sorted((out / "tables").glob("*.csv"))]
    return "\n".join(parts)


def test_other_study_speaks_only_its_own_vocabulary(eldercare: tuple[Path, dict[str, Any]]) -> None:
    root, results = eldercare
    text = outputs_text(root)
    leaked = [t for t in builtin_terms() if re.search(re.escape(t), text)]
    assert not leaked, leaked
    story = results["selective_coding"]["story_line"]
    assert "社区养老服务如何形成并惠及老人" in story["zh"] and "care models" not in story["zh"]
    assert "how community elderly care takes shape" in story["en"]
    assert "社区养老路径模型" in text and "街道" in text and "各养老模式的驱动因素画像" in text


def test_other_study_core_is_computed_with_the_hypothesised_beside_it(eldercare: tuple[Path, dict[str, Any]]) -> None:
    _root, results = eldercare
    core = results["selective_coding"]["core_category"]
    mains = {m["id"] for m in results["axial_coding"]["main_categories"]}
    assert core["computed"] in mains and core["name_zh"]
    assert core["hypothesised"] == "service_delivery" and core["agreement"] == (core["computed"] == "service_delivery")
    top = core["centrality"][0]
    assert top["main_category"] == core["computed"] and top["eligible"]


def test_other_study_edges_meet_the_evidence_rule(eldercare: tuple[Path, dict[str, Any]]) -> None:
    _root, results = eldercare
    model = results["selective_coding"]["path_model"]
    assert model["edges"], "the eldercare notes state services, models and outcomes together"
    layers = {n["id"]: n["layer"] for n in model["nodes"]}
    order = results["study"]["declarations"]["layers"]
    for edge in model["edges"]:
        assert edge["lift"] > 1 and edge["q"] < 0.05 and edge["cases"] >= 2 and edge["support"] >= 3
        assert order.index(layers[edge["target"]]) == order.index(layers[edge["source"]]) + 1
        quotes = {q["text"] for q in edge["evidence"]}
        assert not quotes & {q["text"] for q in edge["contradicting"] + edge["intended"]}
        assert not any("计划" in q or "不多" in q for q in quotes)
    pairs = [frozenset((r["source"], r["target"])) for r in results["selective_coding"]["relations"]]
    assert len(pairs) == len(set(pairs))  # no mirror rows


def test_results_validate_against_the_published_schema(eldercare: tuple[Path, dict[str, Any]]) -> None:
    _root, results = eldercare
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    jsonschema.validate(results, schema)
    assert results["schema_version"] == schema["properties"]["schema_version"]["default"]
    broken = json.loads(json.dumps(results))
    broken["selective_coding"]["path_model"]["edges"].append({"source": "x"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_cooking_club_gets_no_core_and_no_claims(cooking: Path) -> None:
    result = CliRunner().invoke(app, ["model", str(cooking)])
    assert result.exit_code == 0, result.output
    assert "core category: none" in result.output
    results = json.loads((cooking / "output" / "results.json").read_text(encoding="utf-8"))
    selective = results["selective_coding"]
    assert selective["core_category"]["computed"] is None and selective["core_category"]["name_zh"] == ""
    assert not selective["relations"] and not selective["path_model"]["edges"]
    story = selective["story_line"]
    assert "未得出核心范畴" in story["zh"] and "no core category" in story["en"]
    assert not re.search(r"驱动|产生|导致|drive|lead|cause", story["zh"] + story["en"], re.IGNORECASE)
    assert not [t for t in builtin_terms() if t in outputs_text(cooking)]


def test_other_study_families_are_its_own_ids_throughout(eldercare: tuple[Path, dict[str, Any]]) -> None:
    """eldercare names its families driver, service, care_model and gain, none of them a generic family: cases are
    typed and profiled by them, and every output lays the path out in the order its study.yaml declares."""
    root, results = eldercare
    order = ["driver", "service", "care_model", "gain"]
    assert results["study"]["declarations"]["layers"] == order
    models = {m["id"] for m in results["axial_coding"]["main_categories"] if m["family"] == "care_model"}
    assert models == {"embedded_care", "mutual_aid"}
    assert all(set(c["pattern_scores"]) == models for c in results["cases"] if c["pattern_scores"])
    assert any(c["forces"] for c in results["cases"]) and all(
        set(c["forces"]) <= {"public_funding", "volunteering"} for c in results["cases"])
    out = root / "output"
    dot = (out / "path_model.dot").read_text(encoding="utf-8")
    clusters = re.findall(r'subgraph "cluster_(\w+)"', dot)
    assert clusters == [layer for layer in order if layer in clusters] and len(clusters) >= 3
    graphml = (out / "path_model.graphml").read_text(encoding="utf-8")
    ranks = dict(re.findall(r'<data key="\w+">(driver|service|care_model|gain)</data>\s*'
                            r'(?:<data key="\w+">[^<]*</data>\s*){2}<data key="\w+">(\d)</data>', graphml))
    assert ranks and all(int(rank) == order.index(layer) for layer, rank in ranks.items()), ranks
    typology = (out / "tables" / "typology.csv").read_text(encoding="utf-8-sig")
    assert "主导养老模式" in typology.splitlines()[0]
    sheets = openpyxl.load_workbook(out / "results.xlsx", read_only=True).sheetnames
    assert "养老驱动因素画像" in sheets and not [s for s in sheets if "动力" in s]
    text = outputs_text(root)
    for generic in ("主导模式", "调节因素", "driving conditions", "待归类的驱动"):
        assert generic not in text, generic


def test_a_mistake_in_the_declarations_stops_open_coding_before_it_writes(tmp_path: Path) -> None:
    """Open coding reads no declaration, but a study.yaml that names a family the codebook lacks would stop the
    model step: zhagen code says so at once, with file and line, and the store is as it was."""
    root = make_project(tmp_path / "proj", DATA / "eldercare", manifest=True)
    (root / "study.yaml").write_text((DATA / "eldercare" / "study.yaml").read_text(encoding="utf-8")
                                     .replace("{id: gain,", "{id: gains,"), encoding="utf-8")
    before = (root / "zhagen.db").read_bytes()
    result = CliRunner().invoke(app, ["code", str(root)])
    assert result.exit_code == 1 and "study.yaml:6" in result.output and "did you mean 'gain'" in result.output
    assert "Traceback" not in result.output and (root / "zhagen.db").read_bytes() == before
