"""Open, axial and selective coding on a small real project, and human decisions across re-runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from zhagen import decisions
from zhagen.corpus.importer import import_sources
from zhagen.pipeline import code_project, model_outcome
from zhagen.project import Project
from zhagen.store.coding import list_codes, list_codings
from zhagen.study import analyse, dumps
from zhagen.studies import transfer

# Four small cases, one per pattern, two documents each, written for this test.
CASES = {
    "alpha": [
        "某电子企业在西部城市新建生产基地，总投资约50亿元，规划建设六条产线。项目于次年投产，年产能达到500万台。"
        "当地电价和用工成本较低，是企业选址的重要原因。市政府给予土地和税收优惠政策支持。",
        "The firm opened a new plant with three production lines. Output ramped up to full capacity within a year. "
        "Lower labour costs and cheaper land attracted the investment. The provincial government offered tax incentives.",
    ],
    "beta": [
        "数据中心集群新增机架两万个，主要为东部互联网企业提供算力和云服务。当地气候凉爽、绿电充足，PUE降至1.2。"
        "项目被纳入国家算力枢纽节点，享受电价优惠。东部用户的数据在这里存储和计算，时延满足要求。",
        "The data centre cluster hosts racks for cloud services used by eastern clients. Green power and a cool climate "
        "keep costs low. The national computing hub status brought policy support and subsidies.",
    ],
    "gamma": [
        "东部科技企业与西部整车企业联合研发智能汽车，东部负责核心技术和研发，西部负责制造和配套。"
        "上下游零部件企业纷纷在周边落户，就近配套，产业链不断延伸。地方政府实行链长制，以链招商。",
        "The eastern technology firm and the western carmaker jointly developed the vehicle. Suppliers co-located around "
        "the assembly plant and the chain was extended with new component makers. R&D in Shenzhen, manufacturing in Chongqing.",
    ],
    "delta": [
        "东部高校在西部城市设立研究院，建设中试平台和孵化器，推动科技成果转化。研究院已孵化多家衍生企业，"
        "专利许可和作价入股成为常见做法。地方政府提供科研经费和人才政策支持。",
        "The university opened a branch institute with an incubator and a pilot plant. Several spin-off firms were "
        "incubated and patents were licensed to local companies. The city funds the institute's operating costs.",
    ],
}


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A coded project, built once; tests copy it."""
    root = tmp_path_factory.mktemp("engine") / "proj"
    sources = root.parent / "sources"
    for case, texts in CASES.items():
        for number, text in enumerate(texts):
            path = sources / case / f"doc{number}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    with Project.init(root) as project:
        shutil.copyfile(transfer.codebook_path(), project.codebook_path)
        report = import_sources(project, [sources])
        assert not report.failed
        code_project(project)
    return root


@pytest.fixture()
def project(base_project: Path, tmp_path: Path) -> Project:
    root = tmp_path / "proj"
    shutil.copytree(base_project, root)
    with Project.open(root) as opened:
        yield opened


def machine_codings(project: Project) -> list:
    with project.read() as session:
        return list_codings(session, origin="machine")


def test_open_coding_stores_suggestions_with_provenance(project: Project) -> None:
    codings = machine_codings(project)
    deductive = [c for c in codings if c.confidence is not None]
    assert deductive, "the codebook's indicators must code some units"
    assert all(c.status == "suggested" and c.coder == "zhagen" and 0 < c.confidence <= 1 for c in deductive)
    assert all(c.run_id is not None for c in codings)
    with project.read() as session:
        codes = {c.id: c for c in list_codes(session)}
    coded = {c.code_id for c in deductive}
    assert {"new_production_base", "computing_hub"} <= coded
    concept_ids = {c.code_id for c in codings if c.confidence is None}
    assert concept_ids and all(codes[cid].level == "concept" and cid.startswith("a") for cid in concept_ids)


def test_a_text_is_coded_with_the_pattern_it_describes(project: Project) -> None:
    outcome = code_project(project)
    model, _ = model_outcome(outcome)
    assert model.profiles["alpha"].pattern == "incremental_capacity"
    assert model.profiles["beta"].pattern == "computing_data"
    assert model.profiles["gamma"].pattern == "extended_chain"
    assert model.profiles["delta"].pattern == "achievement_incubation"
    assert model.profiles["beta"].forces["market"] >= 0.5


def test_concept_ids_are_stable_across_runs(project: Project) -> None:
    first = {(c.code_id, c.unit_id) for c in machine_codings(project) if c.confidence is None}
    code_project(project)
    second = {(c.code_id, c.unit_id) for c in machine_codings(project) if c.confidence is None}
    assert first == second


def test_rejected_coding_stays_rejected_after_a_rerun(project: Project) -> None:
    target = next(c for c in machine_codings(project) if c.code_id == "new_production_base")
    decisions.set_coding_status(project, target.id, "rejected", coder="ann")
    code_project(project)
    again = [c for c in machine_codings(project) if c.unit_id == target.unit_id and c.code_id == target.code_id]
    # The store keeps the suggestion with the researcher's verdict on it, as the reader showed it before the run.
    assert [c.status for c in again] == ["rejected"]


def test_human_coding_and_accepted_suggestion_survive_a_rerun(project: Project) -> None:
    suggestion = next(c for c in machine_codings(project) if c.code_id == "computing_hub")
    decisions.set_coding_status(project, suggestion.id, "accepted", coder="ann")
    coding_id = decisions.add_coding(project, document_id=suggestion.document_id, start=suggestion.start,
                                     end=suggestion.start + 4, code_id="green_computing", coder="ann")
    code_project(project)
    with project.read() as session:
        human = list_codings(session, origin="human")
    assert [c.id for c in human] == [coding_id]
    outcome = code_project(project)
    unit_index = next(i for i, u in enumerate(outcome.units) if u.id == suggestion.unit_id)
    assert any(s.code_id == "computing_hub" and s.confidence == 1.0 for s in outcome.codings[unit_index])
    # In the store too (the reader, zhagen codes, reliability and the export read it), after two re-runs.
    with project.read() as session:
        stored = list_codings(session, code_id="computing_hub")
    assert [c.status for c in stored if c.unit_id == suggestion.unit_id] == ["accepted"]


def test_renamed_and_merged_concepts_survive_a_rerun(project: Project) -> None:
    concepts = sorted({c.code_id for c in machine_codings(project) if c.confidence is None}, key=lambda i: int(i[1:]))
    assert len(concepts) >= 2
    first, second = concepts[0], concepts[1]
    decisions.rename_code(project, first, name_zh="东部企业西进建厂", coder="ann")
    members = {c.unit_id for c in machine_codings(project) if c.code_id in {first, second}}
    decisions.merge_codes(project, second, first, coder="ann")
    code_project(project)
    with project.read() as session:
        codes = {c.id: c for c in list_codes(session)}
    assert codes[first].name_zh == "东部企业西进建厂"
    after = {c.unit_id for c in machine_codings(project) if c.code_id == first}
    assert after == members
    assert not [c for c in machine_codings(project) if c.code_id == second]


def test_codebook_code_renamed_by_decision_keeps_its_name(project: Project) -> None:
    decisions.rename_code(project, "market", name_zh="市场力量", coder="ann")
    code_project(project)
    with project.read() as session:
        codes = {c.id: c for c in list_codes(session)}
    assert codes["market"].name_zh == "市场力量"


def test_undo_restores_the_previous_state(project: Project) -> None:
    target = next(c for c in machine_codings(project) if c.code_id == "new_production_base")
    decisions.set_coding_status(project, target.id, "accepted", coder="ann")
    assert decisions.undo_last(project, coder="ann") == "accept_coding"
    with project.read() as session:
        restored = next(c for c in list_codings(session) if c.id == target.id)
    assert restored.status == "suggested"
    assert decisions.undo_last(project, coder="ann") is None


def test_stale_version_is_a_conflict_not_an_overwrite(project: Project) -> None:
    decisions.rename_code(project, "market", name_zh="甲", coder="tab1", expected_version=1)
    with pytest.raises(decisions.ConflictError, match="changed by someone else"):
        decisions.rename_code(project, "market", name_zh="乙", coder="tab2", expected_version=1)


def test_analysis_is_deterministic(project: Project) -> None:
    first = dumps(analyse(project))
    second = dumps(analyse(project))
    assert first == second
    results = json.loads(first)
    edge_units = [q["unit"] for e in results["selective_coding"]["path_model"]["edges"] for q in e["evidence"]]
    assert all(isinstance(u, int) for u in edge_units)
    for concept in results["open_coding"]["concepts"]:
        for quote in concept["quotes"]:
            assert quote["text"] and quote["end"] > quote["start"]
