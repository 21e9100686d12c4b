"""The methods paragraph: every figure in it equals the one in results.json, in both languages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from zhagen.exchange.tables import Names
from zhagen.report import write_outputs
from zhagen.report.methods import CITATION_YEARS, MISSING, methods_text

NUMBER = re.compile(r"\d+(?:\.\d+)*")


def lookup(results: dict[str, Any], path: str) -> Any:
    """An independent reading of the paths the paragraph reports (dotted keys, list positions, len:, sum:, count:)."""
    op, _, dotted = path.rpartition(":")
    if op == "count":  # count:a.b.flag: the items of list a.b with flag set
        items, flag = dotted.rsplit(".", 1)
        return len([item for item in lookup(results, items) if item.get(flag)])
    node: Any = results
    for key in dotted.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return {"len": len, "sum": lambda d: sum(d.values()), "": lambda v: v}[op](node)


def shown(value: Any) -> set[str]:
    """The ways a figure may be printed: as is, or a fraction to two decimals."""
    if isinstance(value, float):
        return {f"{value:.2f}", f"{value:g}"}
    return {str(value)}


def check(results: dict[str, Any]) -> None:
    texts, used = methods_text(results)
    assert used, "the paragraph quotes no figure"
    for lang, text in texts.items():  # every figure and name it reports is in the results it was written from
        assert MISSING not in text and "\u201c\u201d" not in text, (lang, text)
    allowed: set[str] = set(CITATION_YEARS)
    for path, value in used.items():
        assert lookup(results, path) == value, path
        for form in shown(value):
            allowed.update(NUMBER.findall(form))
    names = Names(results)
    for lang, text in texts.items():
        # identifiers and names may contain digits: they are not figures
        for case in results["corpus"].get("reserved_cases", []):
            text = text.replace(case, "")
        text = text.replace("SHA-256", "")  # the name of a hash function
        for rel in (results.get("saturation") or {}).get("new_relation_ids", []):
            for end in str(rel).split(" -> "):
                text = text.replace(names.name(end, lang), "")
        text = text.replace(results["selective_coding"]["core_category"].get(f"name_{lang}", "") or "\0", "")
        stray = [n for n in NUMBER.findall(text) if n not in allowed]
        assert not stray, (lang, stray)


def test_every_figure_of_the_fixture_comes_from_the_results(results):
    texts, used = methods_text(results)
    check(results)
    assert "3个案例" in texts["zh"] and "5份文档" in texts["zh"] and "24个意义单元" in texts["zh"]
    assert "κ=0.78" in texts["zh"] and "Holsti 系数等于百分比一致率" in texts["zh"]
    assert "团队的参考编码" in texts["zh"] and "team's reference coding" in texts["en"]
    assert used["reliability.per_family.pattern.cohen_kappa"] == 0.78
    assert "第8个案例后" in texts["zh"] and "after case 8" in texts["en"]


def test_relations_are_named_and_the_two_saturation_verdicts_reconciled(results):
    results["saturation"].update({"new_concepts": 0, "new_categories": 0, "new_relations": 1, "saturated": False,
                                  "new_relation_ids": ["research -> incubation"]})
    texts, _used = methods_text(results)
    assert "高校院所→成果孵化转移" in texts["zh"] and "universities and institutes→achievement incubation" in texts["en"]
    assert "概念与范畴层面已饱和，关系层面尚未饱和" in texts["zh"]
    check(results)


def test_a_closed_code_system_and_concept_stability_are_figures_of_the_results(results):
    """The per-case counts of units far from a closed system are read through Facts too, case ids with dots and
    digits included, and so are the counts of stable and dissolving concepts."""
    results["open_coding"]["closed_code_system"] = {
        "file": "closed-code-system.npz", "sha256": "ab" * 32, "fitted_on_units": 410, "concepts": 9,
        "far_below": 0.12, "nearer_percent": 95, "clustered_units": 388, "far_units": 17,
        "far_units_by_case": [{"case": "cq.2021-plant", "units": 11}, {"case": "bt-pv", "units": 4},
                              {"case": "xa-c919", "units": 1}, {"case": "yb-catl", "units": 1}]}
    results["open_coding"]["concept_stability"] = {
        "concepts": 9, "stable": 2, "dissolved": 4, "stable_at": 0.75, "dissolved_at": 0.5, "mean": 0.53,
        "runs": 20, "subset": 0.9, "max_units": 5000}
    texts, used = methods_text(results)
    check(results)
    assert "cq.2021-plant (11), bt-pv (4), xa-c919 (1)" in texts["en"] and "yb-catl" not in texts["en"]
    assert used["open_coding.closed_code_system.far_units_by_case.0.units"] == 11
    assert "2个概念与重聚类结果的平均Jaccard系数≥0.75（稳定），4个≤0.50" in texts["zh"]


def test_the_selective_rule_is_the_one_the_run_applied(results):
    """The relation test and the core category as results.json records them, not an older rule's window and lift."""
    texts, used = methods_text(results)
    assert "Benjamini–Hochberg" in texts["zh"] and "q<0.05" in texts["zh"] and "支持语境≥2个" in texts["zh"]
    assert "Strauss" in texts["en"] and "does not agree" not in texts["en"]
    assert used["selective_coding.path_model.null_baseline.mean_edges"] == 0.15
    results["selective_coding"]["core_category"]["agreement"] = False
    assert "与之不一致" in methods_text(results)[0]["zh"]
    check(results)


def test_a_changed_figure_changes_the_text(results):
    results["corpus"]["units"] = 777
    texts, used = methods_text(results)
    assert "777个意义单元" in texts["zh"] and used["corpus.units"] == 777


def test_methods_md_is_written_with_the_outputs(tmp_path: Path, results):
    out = write_outputs(results, tmp_path)
    text = Path(out["methods"][0]).read_text(encoding="utf-8")
    assert text.startswith("# 研究方法") and "# Methods" in text
    assert "研究方法" in Path(out["html"][0]).read_text(encoding="utf-8")


BUILT = Path("zhagen-out/results.json")


@pytest.mark.skipif(not BUILT.is_file(), reason="no built-in run in zhagen-out (make run)")
def test_every_figure_of_a_built_in_run_comes_from_its_results_json():
    results = json.loads(BUILT.read_text(encoding="utf-8"))
    check(results)


def test_agreement_names_the_families_as_the_study_does(results):
    """The fixture study names its families 转移模式 and 驱动力 (transfer pattern, driving forces): the methods
    paragraph names the agreement per family with those words, as the reliability table does."""
    text, _used = methods_text(results)
    assert "转移模式 κ=0.78" in text["zh"] and "transfer pattern κ = 0.78" in text["en"]
    assert "模式 κ" not in text["zh"].replace("转移模式 κ", "") and "patterns κ" not in text["en"]
