"""The store's digest lays rows out from value tuples (:func:`hash_tuples`) for speed; the oracle is the general
form of every backend comparison (:func:`hash_rows`: ``json.dumps`` of each row as a mapping with sorted keys)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from zhagen.store.transfer import hash_rows, hash_tuples

NAMES = ["id", "text", "Start", "confidence", "payload", "when", "flag", "ä名", "z_last"]
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(),
    st.datetimes(min_value=datetime(1900, 1, 1)),
    st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4), max_size=3),
    st.lists(st.integers() | st.text(max_size=4), max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(NAMES), unique=True, max_size=len(NAMES)), st.data())
def test_tuples_hash_as_the_same_rows_as_mappings(names: list[str], data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.tuples(*[VALUES for _ in names]), max_size=5))
    assert hash_tuples(names, rows) == hash_rows(dict(zip(names, row)) for row in rows)


def test_a_changed_value_changes_the_hash() -> None:
    names = ["id", "text"]
    assert hash_tuples(names, [(1, "a")]) != hash_tuples(names, [(1, "b")])
    assert hash_tuples(names, [(1, "a")])[0] == 1
