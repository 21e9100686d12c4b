"""study.yaml: parsed against the codebook, mistakes reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhagen.coding.codebook import CodebookError, load_codebook
from zhagen.declarations import default_declarations, load_declarations, parse_declarations
from zhagen.studies import transfer

DATA = Path(__file__).parent.parent / "data" / "eldercare"


@pytest.fixture(scope="module")
def codebook():  # type: ignore[no-untyped-def]
    return load_codebook(DATA / "codebook.yaml").active()


def test_the_eldercare_declarations(codebook) -> None:  # type: ignore[no-untyped-def]
    found = load_declarations(DATA / "study.yaml", codebook)
    assert found.declared and found.layers == ("force", "mechanism", "pattern", "outcome")
    assert found.family_name("pattern", "en") == "care models" and found.typology_family == "pattern"
    assert found.profile_families == ("force",) and found.hypothesised_core == "service_delivery"
    assert found.allowed_links() == [("force", "mechanism"), ("mechanism", "pattern"), ("pattern", "outcome")]
    assert found.caption("path_model") == ("社区养老路径模型", "Path model of community care")
    assert found.case_columns == (("district", "街道", "District"),)


def test_the_builtin_declarations_load() -> None:
    codebook = load_codebook(transfer.codebook_path()).active()
    found = load_declarations(transfer.study_dir() / "study.yaml", codebook)
    assert found.moderates == {"moderator": "pattern"} and found.case_label == "pattern"
    assert ("moderator", "pattern") in found.allowed_links()


def test_without_a_file_the_codebook_gives_generic_declarations(codebook, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    found = load_declarations(tmp_path / "study.yaml", codebook)
    assert not found.declared and found == default_declarations(codebook)
    assert found.layers == ("force", "mechanism", "pattern", "outcome")  # condition, strategy, strategy, consequence
    assert found.family_name("pattern") == "模式" and found.topic == ("", "")


GOOD = (DATA / "study.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "line", "field", "fragment"), [
    (GOOD.replace("path_nodes: category}\n  - {id: pattern", "path_nodes: categroy}\n  - {id: pattern"), 4,
     "path_nodes", "did you mean 'category'"),
    (GOOD.replace("layers: [force, mechanism, pattern, outcome]", "layers: [force, mechanism, patern, outcome]"), 8,
     "path.layers", "did you mean 'pattern'"),
    (GOOD.replace("  - {id: outcome, name_zh: 养老成效, name_en: care outcomes, path_nodes: category}\n", ""), 2,
     "families", "'outcome' is not declared"),
    (GOOD.replace("hypothesised: service_delivery", "hypothesised: service_delivry"), 19, "core.hypothesised",
     "did you mean 'service_delivery'"),
    (GOOD.replace("case_label: model", "case_lable: model"), 15, "case_lable", "did you mean 'case_label'"),
    (GOOD.replace("care models, typology: true}", "care models, typology: true}\n  - {id: pattern, name_zh: x, name_en: x}"),
     6, "id", "'pattern' is declared twice"),
    (GOOD.replace("path:\n", "path:\n  moderates: {force: force}\n"), 8, "path.moderates", "is a layer"),
])
def test_mistakes_name_line_and_field(codebook, text: str, line: int, field: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CodebookError) as caught:
        parse_declarations(text, codebook, source="study.yaml")
    error = caught.value
    assert (error.line, error.field) == (line, field), str(error)
    assert fragment in str(error) and str(error).startswith(f"study.yaml:{line}")
