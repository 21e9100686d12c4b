"""`zhagen run`: the built-in study end to end, once per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from concept_checks import (
    assert_concepts_named_from_their_quotes,
    assert_no_english_sentence_cluster,
    assert_no_structure_is_coded_or_quoted,
)
from zhagen.cli import app
from zhagen.coding.evidence import evidence_kind
from zhagen.project import Project
from zhagen.store.coding import list_codes, list_codings
from zhagen.store.corpus import counts, document_text
from zhagen.studies.transfer import FORCES, PATTERNS
from zhagen.units.structure import plain

runner = CliRunner()


@pytest.fixture(scope="session")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("study") / "zhagen-out"
    result = runner.invoke(app, ["run", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def results(study: Path) -> dict:
    return json.loads((study / "results.json").read_text(encoding="utf-8"))


def test_cases_have_patterns_forces_and_the_team_labels(results: dict) -> None:
    cases = results["cases"]
    assert len(cases) >= 28 and sum(c["reserved"] for c in cases) >= 4
    for case in cases:
        assert {"id", "title", "attributes", "reserved", "pattern", "pattern_scores", "forces"} <= set(case)
        assert case["attributes"]["city"]
        assert set(case["pattern_scores"]) == set(PATTERNS)
        assert abs(sum(case["pattern_scores"].values()) - 1) < 0.01
        assert set(case["forces"]) == set(FORCES) and all(0 <= v <= 1 for v in case["forces"].values())
        assert case["pattern"] in PATTERNS
    assert results["study_check"]["pattern_agreement"] >= 0.9


def test_every_quote_points_into_its_document(results: dict, study: Path) -> None:
    edges = results["selective_coding"]["path_model"]["edges"]
    quotes = [q for e in edges for q in e["evidence"]]
    quotes += [q for c in results["open_coding"]["concepts"] for q in c["quotes"]]
    assert edges and quotes
    with Project.open(study) as project, project.read() as session:
        texts = {}
        for quote in quotes:
            doc = quote["document"]
            texts.setdefault(doc, document_text(session, doc))
            assert plain(texts[doc][quote["start"]:quote["end"]]) == quote["text"]


def test_three_coding_stages_are_reported(results: dict) -> None:
    concepts = results["open_coding"]["concepts"]
    assert len(concepts) >= 10 and all(c["id"].startswith("a") and c["label"] and c["quotes"] for c in concepts)
    axial = results["axial_coding"]
    assert len(axial["categories"]) >= 20
    mains = {m["id"]: m for m in axial["main_categories"]}
    assert set(PATTERNS) | set(FORCES) <= set(mains)
    assert all(c["main_category"] in mains for c in axial["categories"])
    selective = results["selective_coding"]
    assert selective["story_line"]["zh"] and selective["story_line"]["en"]


def test_path_model_edges_are_evidence(results: dict) -> None:
    """Issue 11's bar: positive association beyond chance, two cases, realised quotes, no mirror rows."""
    selective = results["selective_coding"]
    model = selective["path_model"]
    nodes = {n["id"]: n["layer"] for n in model["nodes"]}
    order = results["study"]["declarations"]["layers"]
    assert model["edges"]
    for edge in model["edges"] + selective["relations"]:
        assert edge["lift"] > 1 and edge["q"] < 0.05 and edge["cases"] >= 2 and edge["support"] >= 3
        assert edge["own_support"] >= 2
        assert all(evidence_kind(q["text"]) in ("realised", "neutral") for q in edge["evidence"])
        assert not {q["unit"] for q in edge["evidence"]} & {q["unit"] for q in edge["contradicting"] + edge["intended"]}
    for edge in model["edges"]:
        source, target = nodes[edge["source"]], nodes[edge["target"]]
        assert (source, target) in zip(order, order[1:]) or results["study"]["declarations"]["moderates"].get(source) == target
    pairs = [frozenset((r["source"], r["target"])) for r in selective["relations"]]
    assert len(pairs) == len(set(pairs))  # each unordered pair once: no mirror rows
    assert len({r["meaning"]["zh"] for r in selective["relations"]}) == len(selective["relations"])  # no template
    null = model["null_baseline"]
    assert null["draws"] >= 10 and null["real_edges"] == len(model["edges"])
    assert null["mean_edges"] < 0.1 * len(model["edges"])


def test_core_is_computed_with_the_hypothesised_beside_it(results: dict) -> None:
    core = results["selective_coding"]["core_category"]
    mains = {m["id"] for m in results["axial_coding"]["main_categories"]}
    assert core["computed"] in mains and core["criterion"]
    assert core["centrality"][0]["main_category"] == core["computed"]
    assert core["hypothesised"] == "transfer_core" and core["agreement"] is False  # a core-level code is no main category


def test_force_profiles_discriminate(results: dict) -> None:
    summary = results["typology"]["force_summary"]
    cases = [c for c in results["cases"] if not c["reserved"]]
    for force in FORCES:
        at_top = sum(c["forces"][force] >= 0.95 for c in cases)
        assert at_top < len(cases) / 2 and summary[force]["at_ceiling"] == at_top
        assert summary[force]["std"] > 0.02


def test_saturation_and_reliability_are_reported(results: dict) -> None:
    saturation = results["saturation"]
    assert len(saturation["reserved_cases"]) >= 4
    assert {"new_concepts", "new_categories", "new_relations", "saturated"} <= set(saturation)
    guest = saturation["guest"]
    assert (guest["base_size"], guest["run_length"], guest["threshold"]) == (4, 2, 0.05)
    assert guest["runs"] and guest["discovery_curve"] == sorted(guest["discovery_curve"])
    reliability = results["reliability"]
    assert {"pattern", "force", "mechanism"} <= set(reliability["per_family"])
    for family in reliability["per_family"].values():
        assert family["units"] >= 300 and -1 <= family["cohen_kappa"] <= 1
        assert sum(map(sum, family["confusion"]["counts"])) == family["units"]


def test_outputs_and_refi_qda_export(study: Path) -> None:
    pyrefiqda = pytest.importorskip("pyrefiqda")
    assert (study / "report.html").stat().st_size > 10_000
    assert (study / "results.xlsx").is_file()
    assert len(list((study / "figures").glob("*.png"))) >= 4
    project = pyrefiqda.RefiProject.load(study / "study.qdpx", extract_dir=str(study.parent / "qdpx"))
    with Project.open(study) as opened, opened.read() as session:
        stored = counts(session)
        codes = [c for c in list_codes(session)]
        codings = list_codings(session)

    def walk(nodes: list) -> int:
        return sum(1 + walk(n.code or []) for n in nodes)

    assert walk(project.code_book.codes.code) == len(codes)
    assert len(project.sources.text_source) == stored["documents"]
    selections = sum(len(s.plain_text_selection or []) for s in project.sources.text_source)
    # The machine's analysis leaves with its suggestions (marked); rejected codings never leave.
    assert selections == sum(c.status != "rejected" for c in codings)
    users = {u.name for u in project.users.user}
    if any(c.status == "suggested" for c in codings):
        assert any(name.endswith("(machine suggestion)") for name in users)


def test_a_second_run_gives_identical_results(study: Path, results: dict) -> None:
    again = runner.invoke(app, ["run", "--out", str(study)])
    assert again.exit_code == 0, again.output
    assert json.loads((study / "results.json").read_text(encoding="utf-8")) == results


def test_no_structure_unit_is_a_concept_suggestion_evidence_or_quote(results: dict, study: Path) -> None:
    assert_no_structure_is_coded_or_quoted(study, results, 300)  # headings, dates, article numbers, boilerplate ...


def test_concepts_are_named_by_phrases_from_their_quotes_and_defined(results: dict) -> None:
    for concept in assert_concepts_named_from_their_quotes(results):
        assert concept["document_topic"] == (concept["documents"] == 1)


def test_every_concept_says_how_stable_it_is_and_how_widely_its_name_is_written(results: dict, study: Path) -> None:
    """Hennig's cluster-wise stability per concept, counted in the summary, marked in the report."""
    concepts = results["open_coding"]["concepts"]
    summary = results["open_coding"]["concept_stability"]
    values = [c["stability"] for c in concepts]
    assert all(0.0 <= v <= 1.0 for v in values) and len(set(values)) > 1
    assert summary["concepts"] == len(concepts)
    assert summary["stable"] == sum(v >= summary["stable_at"] for v in values)
    assert summary["dissolved"] == sum(v <= summary["dissolved_at"] for v in values)
    report = (study / "report.html").read_text(encoding="utf-8")
    assert report.count(">dissolves<") == summary["dissolved"]
    # and how widely its name is written among the typical units it was chosen from
    for concept in concepts:
        held = concept["label_held"]
        assert 2 <= held["units"] <= held["of"] <= min(40, concept["size"])
        assert all(concept["label"] in q["text"] for q in concept["quotes"][:2])
        assert f"{concept['label']} <small class=\"muted\">{held['units']}/{held['of']}</small>" in report


def test_no_concept_is_the_english_sentences(results: dict, study: Path) -> None:
    assert_no_english_sentence_cluster(study, results, 30)


def test_results_validate_against_the_published_schema(results: dict) -> None:
    import jsonschema

    from zhagen.results_model import schema_path

    jsonschema.validate(results, json.loads(schema_path().read_text(encoding="utf-8")))


def test_model_after_decisions_rewrites_every_output_in_the_same_place(study: Path, results: dict) -> None:
    tables = sorted(p.name for p in (study / "tables").glob("*.csv"))
    figures = sorted(p.name for p in (study / "figures").glob("*"))
    assert "reliability_confusion_pattern.csv" in tables
    with Project.open(study) as project, project.read() as session:
        first = next(c for c in list_codings(session) if c.status == "suggested")
    decided = runner.invoke(app, ["decide", "accept", str(study), str(first.id), "--coder", "alice"])
    assert decided.exit_code == 0, decided.output
    again = runner.invoke(app, ["model", str(study)])
    assert again.exit_code == 0, again.output
    assert f"into: {study}" in " ".join(again.output.split())
    assert not (study / "output" / "results.json").exists()
    rerun = json.loads((study / "results.json").read_text(encoding="utf-8"))
    assert set(rerun["reliability"]["per_family"]) == set(results["reliability"]["per_family"])
    assert sorted(p.name for p in (study / "tables").glob("*.csv")) == tables
    assert sorted(p.name for p in (study / "figures").glob("*")) == figures
    assert "not computed" not in again.output


def test_barriers_come_out_as_an_emergent_category_the_codebook_lacks(results: dict, study: Path) -> None:
    """Issue 10 step 5: the problems / risks passages that nearly every case has (the team's reading in
    tests/data/transfer_barrier_passages.yaml, not the tool's output) are found by open and axial coding
    as an emergent category with quotes from six cases or more, while the codebook has no such code."""
    from barrier_oracle import PASSAGES, assert_emergent_barrier_category, barrier_units

    with Project.open(study) as project, project.read() as session:
        barrier, unit_case = barrier_units(session)
    assert len({unit_case[u] for u in barrier}) >= 20  # the team's reading: problem passages in most cases
    assert_emergent_barrier_category(results, study, PASSAGES, min_cases=6)


def test_the_methods_paragraph_reports_every_figure_and_name(study: Path) -> None:
    """methods.md of a real run: no figure missing ("—", the mark of a key the results no longer hold) and no empty
    name; the relation rule it states is the one the run applied."""
    from zhagen.report.methods import MISSING

    text = (study / "methods.md").read_text(encoding="utf-8")
    assert MISSING not in text and "\u201c\u201d" not in text
    assert "Benjamini–Hochberg" in text and "Strauss" in text


def test_the_story_line_does_not_deny_a_kept_relation(results: dict) -> None:
    """The nodes it lists as unsupported are those without a path-model link; a node may still hold a relation of the
    relation structure (制度力 → 转化载体), so the story line names the path model and never says "any relation"."""
    story = results["selective_coding"]["story_line"]
    lone = results["selective_coding"]["path_model"]["sketch_check"]["nodes_without_edges"]
    assert "的任何关系" not in story["zh"] and "any relation of" not in story["en"]
    assert not lone or ("路径模型中" in story["zh"] and "any path-model link of" in story["en"])
