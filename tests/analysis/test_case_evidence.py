"""The units behind a cell of the case x category matrix: strongest first, only the cell's own."""

from zhagen.analysis.case_evidence import strongest_units
from zhagen.analysis.typology import case_category_matrix


def test_strongest_units_per_cell_are_the_cells_own_and_strongest_first():
    cats = [{"a": 0.4}, {"a": 0.9, "b": 0.5}, {"b": 0.7}, {"a": 0.9}, {}]
    cases = ["x", "x", "y", "x", "y"]
    found = strongest_units(cats, cases, limit=2)
    assert found == {"x": {"a": [1, 3], "b": [1]}, "y": {"b": [2]}}  # ties in text order; unit 0 (0.4) left out
    matrix = case_category_matrix(cats, cases, ["a", "b"])
    for case, row in found.items():  # every quoted cell is counted by the matrix, and never more quotes than units
        assert all(0 < len(units) <= matrix[case][code] for code, units in row.items())
