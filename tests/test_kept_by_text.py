"""What rules read from a text alone is kept by text (:mod:`zhagen.kept_by_text`): for each kind of reading kept,
a file that is damaged, of other rules, of the wrong shape or with a value out of range is ignored and every text is
read again, giving what reading it gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from zhagen import coding_arrays as arrays_of
from zhagen.kept_by_text import KeptByText
from zhagen.kept_classes import KeptClasses
from zhagen.kept_kinds import KeptKinds, KeptRanks

TEXTS = [
    "第一章 总则",
    "2023年5月12日",
    "项目已于2023年建成投产，年产值达到50亿元。",
    "园区计划引进上下游配套企业。",
    "由于当地电价较低，企业将数据中心迁到贵州。",
    "The firm will open a second line next year.",
]


@pytest.mark.parametrize("kind", [KeptKinds, KeptClasses, KeptRanks], ids=lambda k: k.__name__)
@pytest.mark.parametrize("damage", ["garbage", "other rules", "wrong shape", "value out of range"])
def test_a_damaged_or_stale_file_is_read_again(tmp_path: Path, reads_of: Callable[[type], list[str]],
                                               kind: type[KeptByText], damage: str) -> None:
    expected = [kind(None).read_text(text) for text in TEXTS]
    kept = kind.of_project(tmp_path)
    assert [kept.value(text) for text in TEXTS] == expected
    kept.save()
    path = tmp_path / ".zhagen-cache" / kind.FILE
    meta, arrays = arrays_of.read_npz(path)
    assert len(kind.of_project(tmp_path).known) == len(TEXTS)  # read back whole before the damage
    if damage == "garbage":
        path.write_bytes(b"not a zip file")
    elif damage == "other rules":
        arrays_of.write_npz(path, {**meta, "rules": "0" * 64}, arrays)
    elif damage == "wrong shape":
        arrays_of.write_npz(path, meta, {**arrays, "keys": arrays["keys"].reshape(-1)})
    else:
        arrays_of.write_npz(path, meta, {**arrays, "values": np.full_like(arrays["values"], len(kind.values()))})
    read = reads_of(kind)
    again = kind.of_project(tmp_path)
    assert again.known == {}
    assert [again.value(text) for text in TEXTS] == expected
    assert read == TEXTS
