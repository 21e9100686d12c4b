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
    assert found.declared and found.layers == ("driver", "service", "care_model", "gain")
    assert found.family_name("care_model", "en") == "care models" and found.typology_family == "care_model"
    assert found.profile_families == ("driver",) and found.hypothesised_core == "service_delivery"
    assert found.allowed_links() == [("driver", "service"), ("service", "care_model"), ("care_model", "gain")]
    assert found.caption("path_model") == ("社区养老路径模型", "Path model of community care")
    assert found.case_columns == (("district", "街道", "District"),)


def test_the_builtin_declarations_load() -> None:
    codebook = load_codebook(transfer.codebook_path()).active()
    found = load_declarations(transfer.study_dir() / "study.yaml", codebook)
    assert found.moderates == {"moderator": "pattern"} and found.case_label == "pattern"
    assert ("moderator", "pattern") in found.allowed_links()


GENERIC = {"driver": "force", "service": "mechanism", "care_model": "pattern", "gain": "outcome"}


def generic_codebook(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The eldercare codebook with the method's generic family ids instead of its own."""
    text = (DATA / "codebook.yaml").read_text(encoding="utf-8")
    for own, generic in GENERIC.items():
        text = text.replace(f"family: {own}\n", f"family: {generic}\n")
    (tmp_path / "codebook.yaml").write_text(text, encoding="utf-8")
    return load_codebook(tmp_path / "codebook.yaml").active()


def test_without_a_file_the_codebook_gives_generic_declarations(tmp_path: Path) -> None:
    codebook = generic_codebook(tmp_path)
    found = load_declarations(tmp_path / "study.yaml", codebook)
    assert not found.declared and found == default_declarations(codebook)
    assert found.layers == ("force", "mechanism", "pattern", "outcome")  # condition, strategy, strategy, consequence
    assert found.family_name("pattern") == "模式" and found.topic == ("", "")
    assert found.typology_family == "pattern" and found.profile_families == ("force",)


def test_without_a_file_a_study_s_own_families_are_named_by_their_ids(codebook, tmp_path: Path):  # type: ignore
    found = load_declarations(tmp_path / "study.yaml", codebook)
    assert not found.declared and found.layers == ("driver", "service", "care_model", "gain")
    assert found.family_name("care_model") == "care_model" and found.family_name("care_model", "en") == "care_model"
    assert found.typology_family is None and found.profile_families == ()  # nothing generic to type or profile by


def test_a_family_one_letter_from_a_generic_one_is_refused_as_a_typo(tmp_path: Path) -> None:
    text = (DATA / "codebook.yaml").read_text(encoding="utf-8").replace("family: care_model\n", "family: patern\n")
    (tmp_path / "codebook.yaml").write_text(text, encoding="utf-8")
    codebook = load_codebook(tmp_path / "codebook.yaml").active()
    with pytest.raises(CodebookError) as caught:
        default_declarations(codebook)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.strip() == "- id: embedded_care")
    assert (caught.value.line, caught.value.field) == (line, "family")
    assert "did you mean 'pattern'" in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "codebook.yaml"))


def test_a_family_id_that_is_not_an_id_is_refused_with_its_line(tmp_path: Path) -> None:
    text = (DATA / "codebook.yaml").read_text(encoding="utf-8").replace("family: gain\n", "family: Care Gains\n")
    (tmp_path / "codebook.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as caught:
        load_codebook(tmp_path / "codebook.yaml")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.strip() == "family: Care Gains")
    assert (caught.value.line, caught.value.field) == (line, "family")
    assert "not a well-formed id" in str(caught.value)


GOOD = (DATA / "study.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "line", "field", "fragment"), [
    (GOOD.replace("path_nodes: category}\n  - {id: care_model", "path_nodes: categroy}\n  - {id: care_model"), 4,
     "path_nodes", "did you mean 'category'"),
    (GOOD.replace("layers: [driver, service, care_model, gain]", "layers: [driver, service, care_mdel, gain]"), 8,
     "path.layers", "did you mean 'care_model'"),
    (GOOD.replace("  - {id: gain, name_zh: 养老成效, name_en: care outcomes, path_nodes: category}\n", ""), 2,
     "families", "'gain' is not declared"),
    (GOOD.replace("{id: gain,", "{id: gains,"), 6, "id", "did you mean 'gain'"),
    (GOOD.replace("hypothesised: service_delivery", "hypothesised: service_delivry"), 19, "core.hypothesised",
     "did you mean 'service_delivery'"),
    (GOOD.replace("case_label: model", "case_lable: model"), 15, "case_lable", "did you mean 'case_label'"),
    (GOOD.replace("care models, typology: true}",
                  "care models, typology: true}\n  - {id: care_model, name_zh: x, name_en: x}"),
     6, "id", "'care_model' is declared twice"),
    (GOOD.replace("path:\n", "path:\n  moderates: {driver: driver}\n"), 8, "path.moderates", "is a layer"),
])
def test_mistakes_name_line_and_field(codebook, text: str, line: int, field: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CodebookError) as caught:
        parse_declarations(text, codebook, source="study.yaml")
    error = caught.value
    assert (error.line, error.field) == (line, field), str(error)
    assert fragment in str(error) and str(error).startswith(f"study.yaml:{line}")
