"""The store's digest (:func:`zhagen.store.digest.input_digest`) lays a table's rows out a batch at a time for speed.
The oracle is the general form of every backend comparison (:func:`hash_rows`: ``json.dumps`` of each row as a
mapping with sorted keys, values in the form every backend gives alike): two tables hash alike in the digest exactly
when they do there."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, Boolean, Column, Float, Integer, Text

from zhagen.store import digest
from zhagen.store.transfer import hash_rows

COLUMNS = [Column("id", Integer), Column("text", Text), Column("confidence", Float), Column("payload", JSON),
           Column("flag", Boolean)]
NAMES = [c.name for c in COLUMNS]
ROW = st.tuples(
    st.integers(-3, 3), st.sampled_from(["", "a", "项目", "a\nb", '"']) | st.none(),
    st.sampled_from([0.0, 0.5, 1.0, 1e-9, 1 / 3]),
    st.dictionaries(st.sampled_from(["k", "键", "z"]), st.integers(0, 2), max_size=2) | st.none(),
    st.booleans(),
)


def mapped(rows: list[tuple[Any, ...]]) -> tuple[int, str]:
    return hash_rows(dict(zip(NAMES, row)) for row in rows)


@settings(max_examples=300, deadline=None)
@given(st.lists(ROW, max_size=4), st.lists(ROW, max_size=4))
def test_two_tables_hash_alike_exactly_when_their_canonical_rows_are_alike(
        first: list[tuple[Any, ...]], second: list[tuple[Any, ...]]) -> None:
    alike = digest._rows_digest(COLUMNS, first) == digest._rows_digest(COLUMNS, second)
    assert alike == (mapped(first) == mapped(second))
    assert digest._rows_digest(COLUMNS, first)[0] == len(first)


def test_a_json_document_hashes_alike_whatever_its_key_order_and_batches_follow_one_another(
        monkeypatch: Any) -> None:
    """PostgreSQL gives a JSON document's keys in its own order; the digest must not see it. Rows past one batch
    are hashed in order: the same rows in another order are another table."""
    ordered = [(1, "a", 0.5, {"a": 1, "b": 2}, True)]
    shuffled = [(1, "a", 0.5, {"b": 2, "a": 1}, True)]
    assert digest._rows_digest(COLUMNS, ordered) == digest._rows_digest(COLUMNS, shuffled)
    monkeypatch.setattr(digest, "BATCH", 2)
    rows = [(i, str(i), 0.0, None, False) for i in range(5)]
    assert digest._rows_digest(COLUMNS, rows) != digest._rows_digest(COLUMNS, rows[1:] + rows[:1])
    assert digest._rows_digest(COLUMNS, rows)[0] == 5
