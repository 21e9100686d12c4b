"""Open coding's computed state as NumPy arrays and one JSON document: never pickles.

Two files keep what open coding computed: the last run's output beside the store
(:mod:`zhagen.kept_coding`, a cache) and a closed code system in the project folder
(:mod:`zhagen.closed_coding`, an input).  Both are ``.npz`` archives read with
``allow_pickle=False``, so that a project folder received from someone else cannot make zhagen
run code, and both are written with a fixed member date, so that the same state gives the same
bytes.  This module holds how suggestions, concepts and fitted models become arrays and back.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import numpy as np

from zhagen.coding import ngrams
from zhagen.coding.bilingual import Glossary
from zhagen.coding.char_counts import CharVocabulary
from zhagen.coding.deductive import CodeScore
from zhagen.coding.inductive import Concept, ConceptClusterer, InductiveSettings
from zhagen.coding.tfidf import Tfidf
from zhagen.exchange.refiqda_xml import ZIP_TIMESTAMP
from zhagen.files import write_atomic

T = TypeVar("T")

#: What reading a damaged or foreign archive raises.
UNREADABLE = (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile)


def write_npz(target: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
    """``np.savez``'s layout, written atomically, with ``meta`` as a JSON member and a fixed member date."""
    members = dict(arrays)
    members["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False, sort_keys=True).encode(), dtype=np.uint8)

    def write(handle: BinaryIO) -> None:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
            for name in sorted(members):
                with archive.open(zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_TIMESTAMP), "w",
                                  force_zip64=True) as member:
                    np.lib.format.write_array(member, members[name], allow_pickle=False)

    return write_atomic(target, write)


def read_npz(target: Path, skip: Iterable[str] = ()) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON document and the arrays of a file :func:`write_npz` wrote, but those named in ``skip`` (not read)
    (raises one of :data:`UNREADABLE`)."""
    left_out = {"meta", *skip}
    with target.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
        return _meta(data), {name: data[name] for name in data.files if name not in left_out}


def read_meta(target: Path) -> dict[str, Any]:
    """The JSON document of a file :func:`write_npz` wrote, its arrays not read (raises one of :data:`UNREADABLE`)."""
    with target.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
        return _meta(data)


def _meta(data: Any) -> dict[str, Any]:
    return dict(json.loads(data["meta"].tobytes().decode()))


def ragged(name: str, rows: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
    """Rows of different lengths as one flat array and the rows' lengths (filled without a list of the items:
    a large run has millions)."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    flat = np.fromiter((x for r in rows for x in r), dtype=np.int64, count=int(lengths.sum()))
    return {f"{name}_flat": flat, f"{name}_len": lengths}


def split(items: Iterable[T], lengths: Iterable[int]) -> list[list[T]]:
    """``items`` cut into consecutive runs of the given lengths."""
    remaining = iter(items)
    return [list(islice(remaining, n)) for n in lengths]


def unragged(name: str, arrays: dict[str, np.ndarray]) -> list[tuple[int, ...]]:
    return [tuple(row) for row in split(arrays[f"{name}_flat"].tolist(), arrays[f"{name}_len"].tolist())]


def machine_arrays(machine: list[list[CodeScore]]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The suggestions as columns: per unit how many, per suggestion its code, scores and terms."""
    codes = sorted({s.code_id for scores in machine for s in scores})
    terms = sorted({t for scores in machine for s in scores for t in s.terms})
    code_at, term_at = {c: i for i, c in enumerate(codes)}, {t: i for i, t in enumerate(terms)}
    flat = [s for scores in machine for s in scores]
    arrays = {
        "per_unit": np.fromiter((len(s) for s in machine), dtype=np.int64, count=len(machine)),
        "code": np.fromiter((code_at[s.code_id] for s in flat), dtype=np.int64, count=len(flat)),
        "scores": np.fromiter((x for s in flat for x in (s.confidence, s.lexicon, s.classifier)), dtype=np.float64,
                              count=3 * len(flat)).reshape(-1, 3),
        "terms_len": np.fromiter((len(s.terms) for s in flat), dtype=np.int64, count=len(flat)),
    }
    arrays["terms_flat"] = np.fromiter((term_at[t] for s in flat for t in s.terms), dtype=np.int64,
                                       count=int(arrays["terms_len"].sum()))
    return {"codes": codes, "terms": terms}, arrays


#: The arrays :func:`machine_arrays` writes, and the keys of its JSON document.
MACHINE_ARRAYS = ("per_unit", "code", "scores", "terms_len", "terms_flat")
MACHINE_META = ("codes", "terms")


def extend_machine(meta: dict[str, Any], arrays: dict[str, np.ndarray], more: list[list[CodeScore]],
                   ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The suggestions :func:`machine_arrays` wrote (``meta``, ``arrays``) followed by those of more units: what
    :func:`machine_arrays` of them all gives, without making the first ones' objects again (their code and term
    numbers are renumbered into the joined, sorted lists)."""
    more_meta, more_arrays = machine_arrays(more)
    joined = {name: sorted(set(meta[name]) | set(more_meta[name])) for name in MACHINE_META}

    def renumbered(name: str, numbers: np.ndarray, old: list[str]) -> np.ndarray:
        at = {value: i for i, value in enumerate(joined[name])}
        return np.array([at[value] for value in old], dtype=np.int64)[numbers] if len(numbers) else numbers

    result = {
        "per_unit": np.concatenate([arrays["per_unit"], more_arrays["per_unit"]]),
        "code": np.concatenate([renumbered("codes", arrays["code"], meta["codes"]),
                                renumbered("codes", more_arrays["code"], more_meta["codes"])]),
        "scores": np.concatenate([arrays["scores"].reshape(-1, 3), more_arrays["scores"]]),
        "terms_len": np.concatenate([arrays["terms_len"], more_arrays["terms_len"]]),
        "terms_flat": np.concatenate([renumbered("terms", arrays["terms_flat"], meta["terms"]),
                                      renumbered("terms", more_arrays["terms_flat"], more_meta["terms"])]),
    }
    return joined, result


def machine(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> list[list[CodeScore]]:
    """The suggestions :func:`machine_arrays` wrote."""
    codes, terms = meta["codes"], meta["terms"]
    term_rows = unragged("terms", arrays)
    code = arrays["code"].tolist()
    scores = arrays["scores"].tolist()
    flat = (CodeScore(codes[c], s[0], tuple(terms[t] for t in ts), s[1], s[2])
            for c, s, ts in zip(code, scores, term_rows))
    return split(flat, arrays["per_unit"].tolist())


#: The arrays :func:`concept_arrays` writes.
CONCEPT_ARRAYS = ("members_flat", "members_len", "typical_flat", "typical_len", "centroids")


def concept_arrays(concepts: Sequence[Concept]) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Concepts as their names and merges (JSON) and their members, typical members and centres (arrays)."""
    meta = [{"index": c.index, "terms": list(c.terms), "phrases": list(c.phrases), "merged": list(c.merged),
             "stability": c.stability} for c in concepts]
    arrays = {**ragged("members", [c.members for c in concepts]), **ragged("typical", [c.typical for c in concepts])}
    if concepts:
        arrays["centroids"] = np.stack([np.asarray(c.centroid) for c in concepts])
    return meta, arrays


def concepts_of(meta: list[dict[str, Any]], arrays: dict[str, np.ndarray]) -> list[Concept]:
    """The concepts :func:`concept_arrays` wrote."""
    members, typical = unragged("members", arrays), unragged("typical", arrays)
    centroids = arrays.get("centroids")
    return [
        Concept(c["index"], tuple(c["terms"]), members[i], typical[i], centroids[i],  # type: ignore[index]
                tuple(c["phrases"]), tuple(c["merged"]), c.get("stability"))
        for i, c in enumerate(meta)
    ]


def counter_meta(counter: CharVocabulary) -> dict[str, Any]:
    """A fitted n-gram counter as what makes it: its vocabulary, in column order, and its n-gram range."""
    return {"vocabulary": list(counter.terms), "ngram_range": list(counter.ngram_range)}


def counter_of(meta: dict[str, Any]) -> CharVocabulary:
    """A counter that counts as the one :func:`counter_meta` described (the same columns)."""
    low, high = meta["ngram_range"]
    return CharVocabulary(tuple(meta["vocabulary"]), (int(low), int(high)))


def scorer_meta(scorer: ngrams.LinearScores, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """A fitted classifier as numbers (as :func:`space_meta` keeps the concept space): its counter and TF-IDF in the
    JSON document, its IDF weights, weights and biases in ``arrays``."""
    arrays["scorer_idf"] = scorer.tfidf.idf
    arrays["scorer_weights"] = np.asarray(scorer.weights, dtype=np.float64)
    arrays["scorer_bias"] = np.asarray(scorer.bias, dtype=np.float64).reshape(-1)
    return {**counter_meta(scorer.counter), "sublinear_tf": bool(scorer.tfidf.sublinear_tf)}


def scorer_of(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> ngrams.LinearScores:
    """The classifier :func:`scorer_meta` kept: the same columns, weights and probabilities."""
    return ngrams.LinearScores(counter_of(meta), Tfidf(arrays["scorer_idf"], meta["sublinear_tf"]),
                               arrays["scorer_weights"], arrays["scorer_bias"])


def space_meta(clusterer: ConceptClusterer, arrays: dict[str, np.ndarray]) -> dict[str, Any] | None:
    """The fitted concept space as numbers: vocabulary, IDF weights, SVD components (and the glossary)."""
    space = getattr(clusterer, "space_", None)
    if space is None:
        return None
    arrays["idf"] = space.tfidf.idf
    arrays["components"] = np.asarray(space.components)
    glossary = getattr(clusterer, "glossary_", None)
    return {
        **counter_meta(space.counter),
        "sublinear_tf": bool(space.tfidf.sublinear_tf),
        "glossary": {k: list(v) for k, v in sorted(glossary.entries.items())} if glossary is not None else None,
    }


def clusterer_of(space: dict[str, Any] | None, arrays: dict[str, np.ndarray],
                 settings: InductiveSettings) -> ConceptClusterer:
    """A clusterer whose space transforms text as the fitted one did (the same columns, weights and axes)."""
    clusterer = ConceptClusterer(settings)
    if space is None:
        return clusterer
    clusterer.space_ = ngrams.LsaVectors(counter_of(space), Tfidf(arrays["idf"], space["sublinear_tf"]),
                                         arrays["components"])
    if space["glossary"] is not None:
        clusterer.glossary_ = Glossary({k: tuple(v) for k, v in space["glossary"].items()})
    return clusterer
