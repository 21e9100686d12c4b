"""`zhagen assess`: the study's model applied to texts it has never seen."""

from __future__ import annotations

import copy
import csv
import json
import re
from pathlib import Path

import opencc
import pytest
from typer.testing import CliRunner

from zhagen.assess import builtin_model
from zhagen.cli import app
from zhagen.coding.selective import Link
from zhagen.studies.transfer import FORCES, PATTERNS

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def labelled(folder: str) -> list[tuple[str, dict[str, str]]]:
    with (DATA / folder / "labels.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [((DATA / folder / row["file"]).read_text(encoding="utf-8"), row) for row in rows]


def balanced_accuracy(truth: list[bool], said: list[bool]) -> float:
    positives = [s for t, s in zip(truth, said) if t]
    negatives = [not s for t, s in zip(truth, said) if not t]
    return (sum(positives) / len(positives) + sum(negatives) / len(negatives)) / 2


@pytest.mark.parametrize("folder", ["heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7"])
def test_patterns_and_forces_on_the_synthetic_regression_sets(folder: str) -> None:
    """Regression guard on the texts the team wrote (tests/data/README.md), at the level measured in
    docs/benchmarks.md (bench/quality.py). Since texts can be read "mixed" or "none", a strict hit is the labelled
    pattern itself (>= 0.75 per set; it was >= 0.85 before the mixed reading, whose near-ties of capacity and chain
    texts cost these sets most), and a hit or a mixed reading that includes the label must reach 0.8 (set 2: 0.84)."""
    model = builtin_model()
    rows = labelled(folder)
    results = [model.assess_text(text) for text, _ in rows]
    accuracy = sum(r["pattern"] == row["pattern"] for r, (_, row) in zip(results, rows)) / len(rows)
    lenient = sum(r["pattern"] == row["pattern"] or (r["pattern"] == "mixed" and row["pattern"] in r["sharing"])
                  for r, (_, row) in zip(results, rows)) / len(rows)
    forces = [
        balanced_accuracy([row[f] == "1" for _, row in rows], [r["forces"][f] >= 0.5 for r in results])
        for f in FORCES
    ]
    # set 1 fell to 0.725 (29 of 40) when the reading was refitted on the development texts read without their
    # bracketed pinyin (2026-12-05: capacity and chain texts read as each other), and rose to 0.775 again when the
    # n-gram models began to read single characters (2026-12-06, docs/benchmarks.md)
    assert accuracy >= 0.75, accuracy
    # set 1 fell from 0.80 to 0.775 (31 of 40) when the reading was refitted on 975 real development texts: two texts
    # written as meeting minutes (a supplier following its customer to Chongqing; racks moved to a western data
    # centre) now read as capacity and as chain, while on the real held-back texts extended_chain recall rose from
    # 0.60 to 0.70 (docs/benchmarks.md)
    # set 3 fell from 0.84 to 0.75 (27 to 24 of 32) when the reading began to read each text's embedding (2026-12-06): four
    # chain texts read as capacity and three capacity texts as chain, while on the real held-back texts clear-text
    # accuracy rose from 0.833 to 0.873 and extended-chain recall from 0.70 to 0.73 (docs/benchmarks.md)
    assert lenient >= (0.75 if folder in ("heldout", "heldout3") else 0.8), lenient
    # >= 0.75 before the force scores were calibrated on real texts; set 4 fell to 0.73 (market 0.93 -> 0.68)
    assert sum(forces) / len(forces) >= 0.7, forces


def test_traditional_characters_are_read_like_simplified() -> None:
    model = builtin_model()
    text, _row = next((t, r) for t, r in labelled("heldout") if r["script"] == "simplified")
    traditional = opencc.OpenCC("s2t").convert(text)
    assert traditional != text
    a, b = model.assess_text(text), model.assess_text(traditional)
    assert a["pattern"] == b["pattern"]
    for pattern in PATTERNS:
        assert abs(a["pattern_scores"][pattern] - b["pattern_scores"][pattern]) < 0.05
    # evidence quotes come from the original text, not the converted copy
    assert all(q in traditional for quotes in b["evidence"].values() for q in quotes)


def test_pinyin_printed_after_the_words_is_read_as_the_words(tmp_path: Path) -> None:
    """A reposted page that prints each character's pinyin in brackets reads as the page without it: the codebook's
    terms and the scope's place names match again, and the quotes are the words, not the letters."""
    from tests.corpus.test_pinyin import annotate

    model = builtin_model()
    text, _row = next((t, r) for t, r in labelled("heldout") if r["pattern"] == "extended_chain")
    annotated = annotate(text)
    plain, read = model.assess_text(text), model.assess_text(annotated)
    for key in ("pattern", "sharing", "pattern_scores", "forces", "evidence"):
        assert read[key] == plain[key], key
    (tmp_path / "repost.txt").write_text(annotated, encoding="utf-8")
    [found] = json.loads(runner.invoke(app, ["assess", str(tmp_path / "repost.txt"), "--json"]).output)
    assert found["pinyin_dropped"] == sum("\u4e00" <= c <= "\u9fff" for c in text)


def test_cli_json_for_an_english_and_a_chinese_file(tmp_path: Path) -> None:
    english = tmp_path / "plan.txt"
    english.write_text(
        "The company will build a new plant with four production lines in Chengdu. Production starts next year "
        "with an annual capacity of two million units. Land and labour costs are lower than on the coast.",
        encoding="utf-8",
    )
    chinese = tmp_path / "方案.md"
    chinese.write_text("某大学在西部城市设立研究院，建设中试基地和孵化器，已孵化十余家衍生企业，多项专利实现许可转化。",
                       encoding="utf-8")
    result = runner.invoke(app, ["assess", str(english), str(chinese), "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [Path(i["file"]).name for i in items] == ["plan.txt", "方案.md"]
    assert all(i["sharing"] == [i["pattern"]] for i in items)
    assert items[0]["pattern"] == "incremental_capacity"
    assert items[1]["pattern"] == "achievement_incubation"
    for item in items:
        assert set(item["forces"]) == set(FORCES) and all(0 <= v <= 1 for v in item["forces"].values())
        assert item["evidence"] and item["suggestions"]
        assert all(q["kind"] in ("realised", "neutral", "intended", "contradicting") for q in item["evidence"])
        assert all(s["zh"] and s["en"] for s in item["suggestions"])
    weak = [s["target"] for s in items[1]["suggestions"] if s["kind"] == "weak_force"]
    assert weak == [f for f in FORCES if items[1]["forces"][f] < 0.5]


def test_quotes_of_the_answer_come_first(tmp_path: Path) -> None:
    """A chain text with one sentence that also evidences incubation (a research institute's survey): the quotes of
    the pattern it is read as open the list, before those of a pattern the text is not about, whatever their names;
    the forces' quotes come last."""
    text = tmp_path / "chain.txt"
    text.write_text(
        "中国汽车工程研究院最新调研数据显示，成渝地区新能源整车企业零部件本地采购比例已达58%，区域产业集群效应显著。"
        "赛力斯、长安深蓝等本地主机厂已与川渝地区转向节企业建立深度合作，带动长三角的配套企业跟随落户重庆，"
        "形成从铝合金熔炼到精密加工的完整产业链。政策对本地配套率超60%的供应商给予增值税返还，并设立产业引导基金。",
        encoding="utf-8")
    result = runner.invoke(app, ["assess", str(text), "--json"])
    assert result.exit_code == 0, result.output
    item = json.loads(result.stdout)[0]
    codes = [q["code"] for q in item["evidence"]]
    assert item["sharing"] and codes[0] == item["sharing"][0]
    patterns = [c for c in codes if c in item["pattern_scores"]]
    forces = [c for c in codes if c in item["forces"]]
    assert codes == patterns + forces  # patterns first, then forces
    others = [c for c in dict.fromkeys(patterns) if c not in item["sharing"]]
    assert others == sorted(others, key=lambda c: -item["pattern_scores"][c])


def test_suggestions_rest_on_kept_path_model_edges_only() -> None:
    """A suggestion cites the kept edges it rests on and claims no other link: a weak force with a kept route to the
    pattern names it, one without says the evidence supports no route, a moderator is raised only through a kept
    moderating edge, and a code the text shows is not suggested."""
    model = copy.copy(builtin_model())
    landing = Link("investment_landing", "incremental_capacity", "mechanism -> pattern", "", 14, 9, 3.0, ())
    market = Link("market", "investment_landing", "force -> mechanism", "", 6, 4, 2.0, ())
    moderating = Link("absorptive_capacity", "incremental_capacity", "moderates", "", 5, 3, 2.0, ())
    elsewhere = Link("institutional", "research_carriers", "force -> mechanism", "", 8, 5, 2.0, ())
    model.edges = [landing, market, moderating, elsewhere]
    weak = {"market": 0.1, "labor_division": 0.2, "institutional": 0.3}
    found = {(s["kind"], s["target"]): s for s in model.suggestions("incremental_capacity", weak, set())}
    assert set(found) == {("weak_force", "market"), ("weak_force", "labor_division"), ("weak_force", "institutional"),
                          ("missing_link", "investment_landing"), ("moderator", "absorptive_capacity")}
    route = found[("weak_force", "market")]
    assert [(b["source"], b["target"], b["support"]) for b in route["basis"]] == [
        ("market", "investment_landing", 6), ("investment_landing", "incremental_capacity", 14)]
    assert "6 units, 4 cases" in route["en"] and "14 units, 9 cases" in route["en"]
    for force in ("labor_division", "institutional"):  # no kept edge leads from them to this pattern
        assert found[("weak_force", force)]["basis"] == []
        assert "supports no route" in found[("weak_force", force)]["en"]
    assert found[("moderator", "absorptive_capacity")]["basis"][0]["support"] == 5
    # what the text shows is not suggested, strong forces are not called weak, and no pattern gives no suggestion
    shown = model.suggestions("incremental_capacity", {**weak, "market": 0.9}, {"investment_landing",
                                                                                 "absorptive_capacity"})
    assert {(s["kind"], s["target"]) for s in shown} == {("weak_force", "labor_division"),
                                                         ("weak_force", "institutional")}
    model.edges = [landing]
    assert not any(s["kind"] == "moderator" for s in model.suggestions("incremental_capacity", weak, set()))
    assert model.suggestions(None, weak, set()) == []


def test_evidence_quotes_say_what_they_state_and_facts_come_first() -> None:
    """Each quote carries its kind and the words that decided it; facts and descriptions are shown before plans and
    limitations, so that a plan is not the first thing read as evidence, and three quotes per code at most."""
    from zhagen.assess import _quotes

    texts = ["本地配套率仍然偏低。", "计划明年建设二期工厂。", "园区为企业提供标准厂房。", "工厂已建成投产。"]
    quotes = _quotes("incremental_capacity", texts)
    assert [(q["text"], q["kind"], q["cue"]) for q in quotes] == [
        ("工厂已建成投产。", "realised", "已"), ("园区为企业提供标准厂房。", "neutral", ""),
        ("计划明年建设二期工厂。", "intended", "计划")]
    assert all(q["code"] == "incremental_capacity" for q in quotes)


def test_cli_plain_output_and_bad_file(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    # the text names a western place: without one it would be read "none" (out of the study's scope)
    text.write_text("贵安新区的数据中心集群为东部企业提供算力服务，机架规模持续扩大，绿电占比提高。", encoding="utf-8")
    result = runner.invoke(app, ["assess", str(text)])
    assert result.exit_code == 0 and "computing_data" in result.output
    assert re.search(r"why\W+computing_data \d\.\d\d, next", " ".join(result.output.split()))  # the rule's reason
    missing = runner.invoke(app, ["assess", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1
    assert "nope.txt" in missing.output and "Traceback" not in missing.output


def test_cli_assesses_a_folder_and_lists_what_it_could_not_read(tmp_path: Path) -> None:
    """A folder is read as `zhagen import` reads one (recursively, in path order); an empty file in it is listed as
    failed, the other texts are still assessed, and the exit status says that one failed."""
    folder = tmp_path / "project texts"
    (folder / "b").mkdir(parents=True)
    (folder / "b" / "2.txt").write_text("贵安新区的数据中心集群为东部企业提供算力服务，机架规模持续扩大，绿电占比提高。",
                                        encoding="utf-8")
    (folder / "1.txt").write_text("宜宾新建的动力电池工厂已经投产，年产能二十吉瓦时，项目总投资一百亿元。", encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "notes.xyz").write_text("not a text kind", encoding="utf-8")
    result = runner.invoke(app, ["assess", str(folder), "--json"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    found = json.loads(result.stdout)
    assert [Path(item["file"]).name for item in found] == ["1.txt", "2.txt"]
    assert found[1]["pattern"] == "computing_data"
    assert "failed: " in result.stderr and "empty.txt" in result.stderr and "notes.xyz" not in result.output
    shown = runner.invoke(app, ["assess", str(folder)])  # one table a text, then one line each
    summary = shown.stdout.split("2 texts:")[-1]
    rows = [line for line in summary.splitlines() if "│" in line and "computing_data" in line]
    assert shown.exit_code == 1 and "2 texts:" in shown.stdout and summary.index("1.txt") < summary.index("2.txt")
    assert rows and f"{max(found[1]['pattern_scores'].values()):.2f}" in rows[0]  # the pattern's own score
    nothing = runner.invoke(app, ["assess", str(folder / "b" / "none")])
    assert nothing.exit_code == 1 and "none" in nothing.output
    (folder / "b" / "none").mkdir()
    nothing = runner.invoke(app, ["assess", str(folder / "b" / "none")])
    assert nothing.exit_code == 1 and "no text to assess" in nothing.output


# Regression texts for "mixed" and "none", written for these tests (not real public texts).
OFF_TOPIC = [
    "苏州工业园区一家本地企业新建智能工厂，总投资十亿元，年产能五十万台，预计明年投产。",
    "The operator opened a data centre in Hebei to serve government and business customers in the province.",
    "該研究所團隊憑藉拓撲材料預測的成果，獲得國家自然科學獎一等獎。",
]
TWO_PATTERNS = (
    "宜宾市与一家东部电池企业签约，新建动力电池生产基地，规划年产能三十吉瓦时，首条产线明年投产。"
    "同一天，上海一所大学在宜宾设立研究院，建设中试基地。"
)


@pytest.mark.parametrize("text", OFF_TOPIC)
def test_a_text_outside_the_west_is_read_as_none(text: str) -> None:
    found = builtin_model().assess_text(text)
    assert found["pattern"] == "none", found["reading"]
    assert set(found["pattern_scores"]) == set(PATTERNS) and set(found["forces"]) == set(FORCES)


# A capacity story told in words the codebook lacks (written for this test): no unit reaches the coder's bar and no
# pattern term is named.
UNCODED = ("CHONGQING -- When the carmaker wanted its engine works and its transmission works side by side, the "
           "district levelled a hill for them. The two sites will turn out engines for the new models from next "
           "spring, the company said.")


def test_a_text_told_in_other_words_is_read_by_the_calibrated_reading_not_answered_none() -> None:
    """With a calibrated reading, a text of at least two substantive sentences is read even when it names no
    codebook term; counting codebook evidence alone sent texts like this one to "none" (docs/method.md, "Reading a
    text"). Without a calibrated reading, that count still decides."""
    import copy

    model = builtin_model()
    evidence, _units, _codings = model.evidence([UNCODED])
    assert not any(evidence.mains) and not any(evidence.terms.values())  # no codebook evidence at all
    assert evidence.substantive == 2 and model.evidenced(evidence) == 2  # two sentences to read
    found = model.assess_text(UNCODED)
    # read, not answered none; which of the two car-works patterns it is, a two-sentence text without one codebook
    # term does not settle (the reading of 2026-12-06 gives it chain 0.65, capacity 0.35)
    assert found["pattern"] in PATTERNS, (found["reading"], found["pattern_scores"])
    assert max(found["pattern_scores"], key=found["pattern_scores"].get) in ("incremental_capacity", "extended_chain")
    uncalibrated = copy.copy(model)
    uncalibrated.reading = None
    assert uncalibrated.assess_text(UNCODED)["reading"] == "too little evidence (0 units)"
    # what gives nothing to read is still answered none: a place name, one sentence, a page's furniture alone
    for nothing in ("重庆", "Chongqing.", "来源：西部日报 2023-05-01 09:30\n责任编辑：张三"):
        assert model.assess_text(nothing)["reading"] == "too little evidence (0 units)", nothing


# A news page as a reader copies it (written for this test): headline, dateline, the report, the editor's line.
PAGE = ("东部电池企业在宜宾新建生产基地\n来源：西部日报 2023-05-01 09:30\n"
        "宜宾市与一家东部电池企业签约，新建动力电池生产基地，规划年产能三十吉瓦时，首条产线明年投产。\n责任编辑：张三")


def test_headings_and_page_furniture_are_not_coded_or_quoted() -> None:
    """Structure is not substance: the units that a project's open coding leaves uncoded (the rules of
    zhagen.units.structure) get no coding here either, so they are never quoted as evidence. The headline alone
    would be coded (it names a production base)."""
    model = builtin_model()
    found = model.assess_text(PAGE)
    headline = found["units"][0]
    assert headline == "东部电池企业在宜宾新建生产基地" and model.coder.predict([headline])[0]
    assert [bool(c) for c in found["codings"]] == [False, False, True, False]
    quoted = {q for quotes in found["evidence"].values() for q in quotes}
    assert quoted == {found["units"][2]}
    assert found["pattern"] == "incremental_capacity"


@pytest.mark.xfail(strict=True, reason="known limit (docs/method.md, 'Reading a text'): the reading fitted on real "
                   "texts gives this two-sentence text incremental_capacity 1.00; a tie rule that would read it mixed "
                   "marked more clear real texts than unclear ones, so it was not shipped")
def test_a_text_of_two_patterns_is_read_as_mixed_and_names_both() -> None:
    found = builtin_model().assess_text(TWO_PATTERNS)
    assert found["pattern"] == "mixed", (found["reading"], found["pattern_scores"])
    assert {"incremental_capacity", "achievement_incubation"} <= set(found["sharing"])


def test_assessing_files_reports_each_file_as_it_is_done(tmp_path: Path) -> None:
    """A folder of texts takes minutes (each text's embedding most of a second): the caller hears of each file."""
    from zhagen.assess import assess_files

    paths = []
    for i, text in enumerate(["宁德时代宜宾基地二期投产，配套企业跟随落户。", "The data centre in Guizhou opened its racks."]):
        paths.append(tmp_path / f"t{i}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    done: list[Path] = []
    results = assess_files(paths, progress=done.append)
    assert done == paths and [r["file"] for r in results] == [str(p) for p in paths]


def test_a_file_in_the_evaluation_form_is_read_without_its_labels(tmp_path: Path) -> None:
    """The labelling guide keeps evaluation texts with a header of labels before a line ``---``; the assessment reads
    the text after it (the labels would be taken for evidence of themselves) and returns the header it set aside."""
    from zhagen.corpus.label_header import split_label_header

    body = "成都高新区引进一家东部显示面板企业，新建第8.5代生产线，项目投产后年产能达到一百二十万片。"
    header = ("source: https://example.org/a\ntitle: 面板项目 (example, 2024)\npattern: extended_chain\n"
              "forces: market, institutional\nwhy: centres on suppliers following the anchor plant; 配套 链主 上下游\n")
    assert split_label_header(header + "---\n" + body) == (
        {"source": "https://example.org/a", "title": "面板项目 (example, 2024)", "pattern": "extended_chain",
         "forces": "market, institutional", "why": "centres on suppliers following the anchor plant; 配套 链主 上下游"},
        body)
    # not a header: a field the form has not, a sentence before the line, or a single field
    for text in ("时间: 2024年\n来源: 新华网\n---\n" + body, "source: x\n" + body + "\n---\nmore",
                 "title: 面板项目\n---\n" + body, body):
        assert split_label_header(text) == ({}, text)
    (tmp_path / "labelled.txt").write_text("\ufeff" + header + "---\n" + body, encoding="utf-8")
    (tmp_path / "plain.txt").write_text(body, encoding="utf-8")
    result = runner.invoke(app, ["assess", str(tmp_path / "labelled.txt"), str(tmp_path / "plain.txt"), "--json"])
    assert result.exit_code == 0, result.output
    labelled, plain = json.loads(result.stdout)
    assert labelled["label_header"]["pattern"] == "extended_chain" and plain["label_header"] == {}
    for key in ("pattern", "sharing", "pattern_scores", "forces", "unclear", "evidence"):
        assert labelled[key] == plain[key], key
    shown = runner.invoke(app, ["assess", str(tmp_path / "labelled.txt")])
    squeezed = "".join(c for c in shown.output if not c.isspace() and c != "│")
    assert "readwithout" in squeezed and "thelabelheader(source,title,pattern,forces,why)" in squeezed
