"""Saturation and reliability say what they are: relations named, matched counts from the results, coders named."""

from __future__ import annotations

from zhagen.exchange.tables import Names, reliability_tables, saturation_tables
from zhagen.report.html import render_html


def with_counts(results):
    entry = results["saturation"]["reserved_cases"][0]
    entry.update({"matched_units": 48, "units": 66})
    results["saturation"].update({"new_relations": 1, "new_relation_ids": ["research -> incubation"],
                                  "saturated": False})
    return results


def test_saturation_tables_name_relations_and_report_matched_units(results):
    results = with_counts(results)
    tables = {t.key: t for t in saturation_tables(results, Names(results))}
    row = tables["saturation"].rows[0]
    assert row[5] == 48 and row[6] == 66  # the count from results.json, not the number of listed examples
    assert "人才支撑" in row[4]  # matched code by its name, not its id
    summary = {r[0]: r[2] for r in tables["saturation_summary"].rows}
    assert summary["新关系"] == "高校院所→成果孵化转移"
    guest = tables["saturation_guest"].rows[0]
    assert guest[3] == "孵化与中试"  # code name in the Chinese table, not the id "pilot"


def test_report_reconciles_the_two_saturation_verdicts(results):
    html = render_html(with_counts(results))
    assert "高校院所" in html.split('id="saturation"')[1].split("</section>")[0]
    verdict = html.split('id="saturation-verdict"')[1].split("</p>")[0]
    assert "Guest" in verdict and "预留案例" in verdict
    assert "48" in html.split('id="saturation-table"')[1].split("</table>")[0]


def test_reliability_names_the_coders_and_says_holsti_equals_percent_agreement(results):
    for family in results["reliability"]["per_family"].values():
        family["confusion"].update({"coder_rows": "gold", "coder_cols": "zhagen"})
    tables = reliability_tables(results, Names(results))
    assert "团队参考编码" in tables[0].title_zh and "Holsti" in tables[0].note
    assert tables[1].columns[0].zh == "团队参考编码（行）\\ zhagen 机器编码（列）"
    html = render_html(results)
    assert "团队参考编码（行）" in html and "编码者A" not in html and "Holsti 系数等于百分比一致率" in html
