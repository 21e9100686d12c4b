"""The GUIDs zhagen writes are RFC 4122 version-5 UUIDs, as the standard library computes them."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from zhagen.exchange.refiqda_xml import GUID_NAMESPACE, refi_guid


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["coding", "selection", "code", "document", "user", "memo-link"]),
       st.one_of(st.text(), st.integers(), st.tuples(st.text(max_size=5), st.integers())))
def test_a_guid_is_uuid5_of_the_namespace_and_the_name(kind: str, key: object) -> None:
    expected = uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}")
    got = refi_guid(kind, key)
    assert got == str(expected)
    assert uuid.UUID(got).version == 5 and uuid.UUID(got).variant == uuid.RFC_4122
