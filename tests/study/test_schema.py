"""The published JSON Schema of results.json is the one the typed models give."""

from __future__ import annotations

import json

import jsonschema

from zhagen.results_model import SCHEMA_VERSION, json_schema, schema_path, schema_text


def test_published_schema_is_current() -> None:
    assert schema_path().read_text(encoding="utf-8") == schema_text(), (
        "regenerate it: python -m zhagen.results_model")


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"]["default"] == SCHEMA_VERSION == json_schema()["properties"]["schema_version"]["default"]
