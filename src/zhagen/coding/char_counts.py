"""Counts of a fixed vocabulary of character n-grams, computed on arrays.

Every coding model reads a unit as the character n-grams scikit-learn's
``CountVectorizer(analyzer="char_wb")`` cuts (:func:`zhagen.coding.ngrams.char_counter`).
With a fitted vocabulary, its ``transform`` walks every n-gram of every unit in
Python, and on a large corpus that walk is most of open coding's time.  For the
n-grams the coding models use (at most 3 characters) the same counts can be
computed on arrays: every n-gram is a window of 1-3 characters inside a word
padded with one space on each side, so the units are laid end to end as one
array of code points (words and units kept apart by a separator), every window
becomes one integer (21 bits a character), and the integers are looked up in the
sorted integers of the vocabulary.

The result is the matrix ``transform`` returns, element for element (same
shape, sorted indices, same dtype); ``tests/coding/test_char_counts.py`` checks
it against scikit-learn.  A vocabulary this does not cover (longer n-grams) and a
text holding the separator character are counted by scikit-learn itself.

Why up to 3 characters only: ``char_wb`` counts a word shorter than ``n`` once,
whole, and stops there.  A padded word has at least 3 characters, so below 4
that rule never applies and every n-gram is a plain window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:  # scikit-learn is imported where a counter is fitted or a text is left to it, not to read units
    from sklearn.feature_extraction.text import CountVectorizer

#: Bits of one character in an n-gram's integer: code points go up to 0x10FFFF (plus one).
_BITS = 21
#: Bits of a column in a (row, column) key: vocabularies are far smaller.
_COLUMN_BITS = 24
#: Between words and between units; a text that holds it is counted by scikit-learn.
_SEPARATOR = "\x00"


@dataclass(frozen=True, eq=False)
class CharVocabulary:
    """A fitted ``char_wb`` counter as what makes it: its n-grams in column order and how it cuts text.

    Reading units through kept models (a closed code system) needs only this and
    :class:`CharCounts`, not scikit-learn, whose start-up alone costs more than coding
    ten added documents; :meth:`counter` is the scikit-learn counter that counts the same."""

    terms: tuple[str, ...]
    ngram_range: tuple[int, int]
    lowercase: bool = True
    binary: bool = False

    @classmethod
    def of(cls, counter: CountVectorizer) -> CharVocabulary:
        """The vocabulary of a fitted :func:`zhagen.coding.ngrams.char_counter` (any other counter is refused)."""
        if (counter.analyzer != "char_wb" or counter.preprocessor is not None or counter.strip_accents is not None
                or counter.input != "content" or counter.dtype is not np.int64):
            raise ValueError("only a char_wb counter of plain content with integer counts is kept as a vocabulary")
        low, high = counter.ngram_range
        return cls(tuple(counter.get_feature_names_out().tolist()), (int(low), int(high)), bool(counter.lowercase),
                   bool(counter.binary))

    def counter(self) -> CountVectorizer:
        """scikit-learn's counter with this vocabulary (what :class:`CharCounts` leaves to it)."""
        from zhagen.coding.ngrams import char_counter  # ngrams imports this module

        counter = char_counter(self.ngram_range).set_params(lowercase=self.lowercase, binary=self.binary,
                                                             vocabulary=list(self.terms))
        counter.fit([])  # a fixed vocabulary: nothing is learned, the vocabulary is checked once here
        return counter


def _code(term: str) -> int:
    value = 0
    for character in term:
        value = (value << _BITS) | (ord(character) + 1)
    return value


class CharCounts:
    """What scikit-learn's ``transform`` returns for a vocabulary, on arrays where it is covered."""

    def __init__(self, vocabulary: CharVocabulary) -> None:
        self.vocabulary = vocabulary
        low, high = vocabulary.ngram_range
        self.covered = 1 <= low <= high <= 3 and len(vocabulary.terms) < 1 << _COLUMN_BITS
        self._fallback: CountVectorizer | None = None
        if self.covered:
            terms = vocabulary.terms
            codes = np.fromiter((_code(t) for t in terms), dtype=np.int64, count=len(terms))
            order = np.argsort(codes, kind="stable")
            self._codes, self._columns = codes[order], order.astype(np.int64)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        if not self.covered or any(_SEPARATOR in text for text in texts):
            if self._fallback is None:
                self._fallback = self.vocabulary.counter()
            return self._fallback.transform(texts)
        counts = self._count(texts)
        if self.vocabulary.binary:
            counts.data.fill(1)
        return counts

    def _points(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Code points plus one of the padded words laid end to end (1 at every separator), and the
        row of every position."""
        lower = self.vocabulary.lowercase
        laid = []
        for text in texts:
            words = (text.lower() if lower else text).split()
            laid.append(" " + f" {_SEPARATOR} ".join(words) + " " if words else "")
        joined = _SEPARATOR.join(laid)
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
        lengths = np.fromiter(map(len, laid), dtype=np.int64, count=len(laid)) + 1
        rows = np.repeat(np.arange(len(laid), dtype=np.int64), lengths)[: len(points)]
        return points, rows

    def _count(self, texts: Sequence[str]) -> sparse.csr_matrix:
        low, high = self.vocabulary.ngram_range
        points, rows = self._points(texts)
        apart = points == ord(_SEPARATOR) + 1
        keys = []
        grams, whole = points, ~apart
        for n in range(1, high + 1):
            if n > 1:
                width = len(points) - n + 1
                if width <= 0:
                    break
                grams = (grams[:width] << _BITS) | points[n - 1 :]
                whole = whole[:width] & ~apart[n - 1 :]
            if n < low:
                continue
            at = np.flatnonzero(whole)
            wanted = grams[at]
            found = np.searchsorted(self._codes, wanted)
            found[found == len(self._codes)] = 0
            hit = self._codes[found] == wanted
            keys.append((rows[at[hit]] << _COLUMN_BITS) | self._columns[found[hit]])
        return self._matrix(np.sort(np.concatenate(keys)) if keys else np.zeros(0, np.int64), len(texts))

    def _matrix(self, keys: np.ndarray, n_rows: int) -> sparse.csr_matrix:
        """The CSR matrix of sorted (row, column) keys, each key's repetitions its count."""
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else keys
        distinct = keys[starts]
        counts = np.diff(np.append(starts, len(keys))).astype(np.int64)
        index = np.int32 if len(distinct) <= np.iinfo(np.int32).max else np.int64
        indptr = np.zeros(n_rows + 1, dtype=index)
        np.cumsum(np.bincount(distinct >> _COLUMN_BITS, minlength=n_rows), out=indptr[1:])
        columns = (distinct & ((1 << _COLUMN_BITS) - 1)).astype(index)
        return sparse.csr_matrix((counts, columns, indptr), shape=(n_rows, len(self.vocabulary.terms)))
