"""English stop words: scikit-learn's list, read without starting scikit-learn.

The list lives in a module of its own inside scikit-learn
(``sklearn/feature_extraction/_stop_words.py``, a plain ``frozenset`` with no imports), but
importing it the usual way runs ``sklearn/__init__`` first, which takes about 1.5 s: more than
coding ten added documents against a closed code system, which glosses English words and so
asks for the list.  So the file is read on its own; when it cannot be (another layout of a
future release), the usual import gives the same list.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def english() -> frozenset[str]:
    """scikit-learn's ``ENGLISH_STOP_WORDS``."""
    try:
        spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        path = Path(folders[0]) / "feature_extraction" / "_stop_words.py"
        module_spec = importlib.util.spec_from_file_location("zhagen_english_stop_words", path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        return frozenset(module.ENGLISH_STOP_WORDS)
    except (ImportError, OSError, IndexError, AttributeError):
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
