"""The last open-coding run's computed output, kept beside the store so that ``zhagen model`` starts from it.

``zhagen model`` (and ``zhagen run`` on a project) needs more than the codings the store holds: the
machine's suggestions with what suggested them, the concepts with their typical members and centres,
and the fitted concept space (saturation projects the reserved cases into it).  Without them it would
code the whole project again before modelling it, which at 50,000 documents is most of the step.

What is kept is numbers and text only — NumPy arrays in an ``.npz`` file read with
``allow_pickle=False`` and one JSON document — never pickles, so that a project folder received from
someone else cannot make zhagen run code.  The file names the run that computed it and the
:func:`zhagen.pipeline.fingerprint` of what that run read; it is used only when the store's last
open-coding run is that run and everything open coding reads is unchanged, so that the outcome is
the one coding again would compute (the same input and settings give the same output).  A missing,
foreign, damaged or stale file is ignored and open coding computes as before.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfTransformer

from zhagen.coding import ngrams
from zhagen.coding.bilingual import Glossary
from zhagen.coding.deductive import CodeScore
from zhagen.coding.inductive import Concept, ConceptClusterer, InductiveSettings
from zhagen.exchange.refiqda_xml import ZIP_TIMESTAMP
from zhagen.files import write_atomic, write_text_atomic

#: The folder of the project that holds it (a cache: deleting it only costs time).
FOLDER = ".zhagen-cache"
FILE = "open-coding.npz"
#: Changed whenever what is kept changes, so that an older file is not misread.
FORMAT = 2

T = TypeVar("T")


@dataclass
class KeptCoding:
    """What :func:`zhagen.pipeline.code_project` computed before the decision log was laid over it."""

    run_id: int
    fingerprint: str
    machine: list[list[CodeScore]]  # per unit of the project, in load order
    concepts: list[Concept]  # before the concept decisions; members index the project's units
    clusterer: ConceptClusterer
    notes: list[str]


def path(root: Path) -> Path:
    return root / FOLDER / FILE


def save(root: Path, kept: KeptCoding) -> Path:
    """Write the file (atomically); a clusterer that learned no space (too few units) is kept as such."""
    meta, arrays = _machine_arrays(kept.machine)
    meta.update(format=FORMAT, run_id=kept.run_id, fingerprint=kept.fingerprint, notes=kept.notes)
    meta["concepts"] = [{"index": c.index, "terms": list(c.terms), "phrases": list(c.phrases),
                         "merged": list(c.merged)} for c in kept.concepts]
    arrays.update(_ragged("members", [c.members for c in kept.concepts]))
    arrays.update(_ragged("typical", [c.typical for c in kept.concepts]))
    if kept.concepts:
        arrays["centroids"] = np.stack([np.asarray(c.centroid) for c in kept.concepts])
    meta["space"] = _space_meta(kept.clusterer, arrays)
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False, sort_keys=True).encode(), dtype=np.uint8)

    def write(handle: BinaryIO) -> None:
        # np.savez's layout, with a fixed member date so that the same run gives the same bytes.
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
            for name in sorted(arrays):
                with archive.open(zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_TIMESTAMP), "w",
                                  force_zip64=True) as member:
                    np.lib.format.write_array(member, arrays[name], allow_pickle=False)

    target = write_atomic(path(root), write)
    _mark_cache_folder(target.parent)
    return target


def _mark_cache_folder(folder: Path) -> None:
    """Tell version control and backup tools that the folder is a cache (as pytest marks its own)."""
    for name, text in ((".gitignore", "# a cache of zhagen: rebuilt when missing\n*\n"),
                       ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                                        "# a cache of zhagen: rebuilt when missing (https://bford.info/cachedir/)\n")):
        marker = folder / name
        if not marker.exists():
            write_text_atomic(marker, text)


def load(root: Path, run_id: int, fingerprint: str, settings: InductiveSettings) -> KeptCoding | None:
    """The kept output of run ``run_id`` when the file is that run's, for what it read; else ``None``."""
    target = path(root)
    if not target.is_file():
        return None
    try:
        with target.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            if meta.get("format") != FORMAT or meta.get("run_id") != run_id or meta.get("fingerprint") != fingerprint:
                return None
            arrays = {name: data[name] for name in data.files if name != "meta"}
        return KeptCoding(run_id, fingerprint, _machine(meta, arrays), _concepts(meta, arrays),
                          _clusterer(meta["space"], arrays, settings), list(meta["notes"]))
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile):
        return None  # damaged or foreign: computed again, and written anew by that run


def _ragged(name: str, rows: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
    """Rows of different lengths as one flat array and the rows' lengths (filled without a list of the items:
    a large run has millions)."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    flat = np.fromiter((x for r in rows for x in r), dtype=np.int64, count=int(lengths.sum()))
    return {f"{name}_flat": flat, f"{name}_len": lengths}


def _split(items: Iterable[T], lengths: Iterable[int]) -> list[list[T]]:
    """``items`` cut into consecutive runs of the given lengths."""
    remaining = iter(items)
    return [list(islice(remaining, n)) for n in lengths]


def _unragged(name: str, arrays: dict[str, np.ndarray]) -> list[tuple[int, ...]]:
    return [tuple(row) for row in _split(arrays[f"{name}_flat"].tolist(), arrays[f"{name}_len"].tolist())]


def _machine_arrays(machine: list[list[CodeScore]]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
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


def _machine(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> list[list[CodeScore]]:
    codes, terms = meta["codes"], meta["terms"]
    term_rows = _unragged("terms", arrays)
    code = arrays["code"].tolist()
    scores = arrays["scores"].tolist()
    flat = (CodeScore(codes[c], s[0], tuple(terms[t] for t in ts), s[1], s[2])
            for c, s, ts in zip(code, scores, term_rows))
    return _split(flat, arrays["per_unit"].tolist())


def _concepts(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> list[Concept]:
    members, typical = _unragged("members", arrays), _unragged("typical", arrays)
    centroids = arrays.get("centroids")
    return [
        Concept(c["index"], tuple(c["terms"]), members[i], typical[i], centroids[i],  # type: ignore[index]
                tuple(c["phrases"]), tuple(c["merged"]))
        for i, c in enumerate(meta["concepts"])
    ]


def _space_meta(clusterer: ConceptClusterer, arrays: dict[str, np.ndarray]) -> dict[str, Any] | None:
    """The fitted concept space as numbers: vocabulary, IDF weights, SVD components (and the glossary)."""
    space = getattr(clusterer, "space_", None)
    if space is None:
        return None
    arrays["idf"] = np.asarray(space.tfidf.idf_, dtype=np.float64)
    arrays["components"] = np.asarray(space.svd.components_)
    glossary = getattr(clusterer, "glossary_", None)
    return {
        "vocabulary": space.counter.get_feature_names_out().tolist(),
        "ngram_range": list(space.counter.ngram_range),
        "sublinear_tf": bool(space.tfidf.sublinear_tf),
        "glossary": {k: list(v) for k, v in sorted(glossary.entries.items())} if glossary is not None else None,
    }


def _clusterer(space: dict[str, Any] | None, arrays: dict[str, np.ndarray],
               settings: InductiveSettings) -> ConceptClusterer:
    """A clusterer whose space transforms text as the fitted one did (the same columns, weights and axes)."""
    clusterer = ConceptClusterer(settings)
    if space is None:
        return clusterer
    counter = ngrams.char_counter(tuple(space["ngram_range"]))  # type: ignore[arg-type]
    counter.set_params(vocabulary=space["vocabulary"])
    counter.fit([])
    idf, components = arrays["idf"], arrays["components"]
    tfidf = TfidfTransformer(sublinear_tf=space["sublinear_tf"])
    tfidf.idf_ = idf
    tfidf.n_features_in_ = len(idf)
    svd = TruncatedSVD(n_components=components.shape[0])
    svd.components_ = components
    svd.n_features_in_ = components.shape[1]
    clusterer.space_ = ngrams.LsaVectors(counter, tfidf, svd)
    if space["glossary"] is not None:
        clusterer.glossary_ = Glossary({k: tuple(v) for k, v in space["glossary"].items()})
    return clusterer
