"""The path model as GraphML (networkx reads it back) and as a Mermaid flowchart."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import networkx as nx
import pytest

from zhagen.exchange.graph import mermaid, mermaid_ids, path_model_graph, write_graphml, write_graphs, write_mermaid


def _builder():
    """The results builder of tests/report/conftest.py, loaded by path."""
    path = Path(__file__).resolve().parents[1] / "report" / "conftest.py"
    spec = importlib.util.spec_from_file_location("zhagen_test_results_builder", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_results


make_results = _builder()


@pytest.fixture
def results():
    return make_results()


def test_graphml_round_trips_with_networkx(tmp_path: Path, results):
    path = write_graphml(results, tmp_path / "path_model.graphml")
    assert path.read_text(encoding="utf-8").startswith("<?xml")
    assert "市场驱动力" in path.read_text(encoding="utf-8")  # readable UTF-8, not character references
    graph = nx.read_graphml(path)
    model = results["selective_coding"]["path_model"]
    assert graph.is_directed()
    assert set(graph.nodes) == {n["id"] for n in model["nodes"]}
    assert graph.number_of_edges() == len(model["edges"])
    assert graph.nodes["market"]["name_zh"] == "市场驱动力"
    assert graph.nodes["market"]["name_en"] == "market driving force"
    assert graph.nodes["market"]["layer"] == "force" and graph.nodes["market"]["layer_zh"] == "驱动力"
    for edge in model["edges"]:
        data = graph.edges[edge["source"], edge["target"]]
        assert data["support"] == edge["support"] and data["cases"] == edge["cases"]
        assert data["lift"] == pytest.approx(edge["lift"])
        assert data["kind"] == edge["kind"] and data["kind_zh"] == edge["kind_zh"]
        assert data["evidence_units"].split(",") == [str(q["unit"]) for q in edge["evidence"]]


def test_graph_adds_unlisted_edge_ends(results):
    results["selective_coding"]["path_model"]["edges"].append(
        {"source": "market", "target": "ghost", "kind": "drives", "kind_zh": "驱动", "support": 1, "cases": 1,
         "lift": 1.0, "evidence": []})
    graph = path_model_graph(results)
    assert graph.has_edge("market", "ghost") and graph.edges["market", "ghost"]["evidence_units"] == ""


def test_mermaid_one_line_per_edge_with_safe_ids_and_quoted_labels(results):
    text = mermaid(results)
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    edges = results["selective_coding"]["path_model"]["edges"]
    edge_lines = [line for line in lines if "-->" in line or "-.->" in line]
    assert len(edge_lines) == len(edges)
    ids = mermaid_ids([n["id"] for n in results["selective_coding"]["path_model"]["nodes"]])
    assert ids["jobs-tax"] == "n_jobs_tax"
    for edge in edges:
        arrow = "-.->" if edge["kind"] == "moderates" else "-->"
        assert sum(1 for line in edge_lines
                   if line.strip().startswith(f"{ids[edge['source']]} {arrow}")
                   and line.strip().endswith(f" {ids[edge['target']]}")) == 1
    for line in lines:
        for node_id in re.findall(r"^\s*(\S+)\[", line):
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", node_id), node_id
    assert '    n_market["市场驱动力"]' in lines
    assert '    n_jobs_tax["就业与税收"]' in lines
    assert any(line.startswith("  subgraph L_force[") for line in lines)
    assert len([line for line in lines if line.startswith("  linkStyle ")]) == len(edges)


def test_mermaid_escapes_quotes_and_markup(results):
    results["selective_coding"]["path_model"]["nodes"][0]["name_zh"] = '市场"驱动"<力>'
    text = mermaid(results)
    assert 'n_market["市场#quot;驱动#quot;#lt;力#gt;"]' in text


def test_mermaid_in_english(results):
    assert 'n_market["market driving force"]' in mermaid(results, lang="en")


def test_unique_ids_for_colliding_names():
    ids = mermaid_ids(["a-b", "a_b", "a b", "end"])
    assert len(set(ids.values())) == 4 and ids["end"] == "n_end"


def test_write_graphs(tmp_path: Path, results):
    paths = write_graphs(results, tmp_path)
    assert [p.name for p in paths] == ["path_model.graphml", "path_model.mmd"]
    assert write_mermaid(results, tmp_path / "x.mmd").read_text(encoding="utf-8").startswith("flowchart LR\n")
