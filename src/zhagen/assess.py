"""Applying the built-in study's model to new texts: ``zhagen assess``.

A planner hands in a project description or a news report; zhagen codes it with
the study's codebook and classifiers (learned from the built-in corpus), scores
the four transfer patterns and three driving forces, shows the evidence and
derives path suggestions from the kept edges of the study's path model only: which
forces are weak in this text and whether a kept route leads from them to its pattern,
and which codes the study's cases of this pattern go with that the text does not show.

Traditional characters are normalised to simplified before coding (offsets
into the original text are kept, see :mod:`zhagen.coding.text`); pinyin that a
reposting site printed in brackets after the words is dropped first
(:mod:`zhagen.corpus.pinyin`). A file in the form that evaluation sets are kept in
(``source:``, ``title:``, ``pattern:``, ``forces:``, ``why:`` lines, then a line ``---``,
then the text as published) is read from the text after ``---``: its labels are what a
reader decided about the text, not the text (:mod:`zhagen.corpus.label_header`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from zhagen.analysis.reading import ReadingSettings, read_pattern
from zhagen.analysis.typology import profile
from zhagen.coding.codebook import Codebook, load_codebook
from zhagen.coding.calibrated import EVIDENT, LEAD_UNITS, CalibratedReading, TextEvidence
from zhagen.coding.documents import DocumentClassifier, DocumentSettings, combine, pattern_examples
from zhagen.coding.deductive import CodeScore, DeductiveCoder
from zhagen.coding.engine import EngineSettings, level_maps
from zhagen.coding.evidence import KINDS, reading
from zhagen.coding.mentions import shared_evidence
from zhagen.coding.text import normalise
from zhagen.coding.selective import Link, path_model
from zhagen.corpus.pinyin import drop_pinyin
from zhagen.corpus.readers import read_source
from zhagen.analysis.scope import Scope
from zhagen.declarations import load_declarations
from zhagen.errors import UserError
from zhagen.pipeline import STUDY_FILE
from zhagen.studies import transfer
from zhagen.units.segment import segment
from zhagen.units.structure import classify_all


@dataclass(frozen=True)
class CorpusDocument:
    case_id: str
    pattern: str
    reserved: bool
    source: str
    text: str


@lru_cache(maxsize=1)
def _corpus() -> tuple[CorpusDocument, ...]:
    manifest = transfer.manifest()
    docs = []
    for path, entry in manifest.entries.items():
        case = manifest.cases[entry.case_id]
        for doc in read_source(path):
            docs.append(CorpusDocument(entry.case_id, case.attributes.get("pattern", ""), bool(case.reserved),
                                       path.name, doc.text))
    return tuple(docs)


def corpus_documents() -> list[CorpusDocument]:
    """The built-in corpus's documents with their case and the team's pattern label."""
    return list(_corpus())


def transfer_reading() -> CalibratedReading | None:
    """The calibrated reading shipped with the study (None when it has not been trained)."""
    path = transfer.reading_path()
    return CalibratedReading.load(path) if path.is_file() else None


def units_of(text: str) -> list[str]:
    return [span.text for span in segment(text)]


def readable(texts: Sequence[str]) -> list[str]:
    """The texts as the reading reads them: without pinyin printed in brackets after their words."""
    return [drop_pinyin(text)[0] for text in texts]


#: Substantive sentences that a calibrated reading reads when the text names no codebook term of a pattern.
READ_WITHOUT_TERMS = 2
#: A force at this score or more is one the text evidences: below it, a suggestion calls it weak, and the command
#: line marks only those at or above it.
EVIDENCED_FORCE = 0.5


class StudyModel:
    """The built-in study's coder, document classifier and path model, ready to assess texts."""

    def __init__(self, codebook: Codebook, coder: DeductiveCoder, classifier: DocumentClassifier | None,
                 edges: list[Link], settings: DocumentSettings) -> None:
        self.codebook = codebook
        self.coder = coder
        self.classifier = classifier
        self.edges = edges
        self.settings = settings
        self.reading = transfer_reading()
        self.reading_settings = ReadingSettings()
        self.scope = Scope.from_file(transfer.scope_path())
        self.declarations = load_declarations(transfer.study_dir() / STUDY_FILE, codebook)
        typology, profiled = self.declarations.typology_family, self.declarations.profile_families
        self.patterns = [m.id for m in codebook.by_level("main_category") if typology and m.family == typology]
        self.forces = [m.id for m in codebook.by_level("main_category") if m.family in profiled]

    @classmethod
    def fit_builtin(cls, settings: DocumentSettings | None = None, engine: EngineSettings | None = None,
                    codebook_path: Path | None = None) -> StudyModel:
        """Learn from the built-in corpus (its non-reserved cases) and codebook (or another
        version of it, e.g. to measure what a codebook change did)."""
        engine = engine or EngineSettings()
        codebook = load_codebook(codebook_path or transfer.codebook_path()).active()
        docs = [d for d in corpus_documents() if not d.reserved]
        unit_texts: list[str] = []
        unit_docs: list[int] = []
        unit_cases: list[str] = []
        for number, doc in enumerate(docs):
            for text in units_of(doc.text):
                unit_texts.append(text)
                unit_docs.append(number)
                unit_cases.append(doc.case_id)
        coder = DeductiveCoder(codebook, engine.deductive).fit(unit_texts)
        codings = coder.predict(unit_texts)
        mains, cats = level_maps(codings, codebook)
        node_codes = [{**m, **c} for m, c in zip(mains, cats)]
        declarations = load_declarations(transfer.study_dir() / STUDY_FILE, codebook)
        _nodes, edges = path_model(node_codes, unit_docs, unit_cases, unit_texts, codebook, engine.selective, declarations,
                                   shared=shared_evidence(codings, codebook, unit_texts))  # type: ignore[misc]
        model = cls(codebook, coder, None, edges, settings or DocumentSettings())
        model.classifier = model.document_classifier([d.text for d in docs], [d.pattern for d in docs])
        model.unit_texts = unit_texts
        return model

    def document_classifier(self, texts: Sequence[str], labels: Sequence[str]) -> DocumentClassifier:
        """A document classifier trained on these texts plus the codebook's pattern examples."""
        examples = pattern_examples(self.codebook, self.patterns)
        return DocumentClassifier(self.patterns, self.settings).fit(
            [*texts, *(t for t, _ in examples)], [*labels, *(p for _, p in examples)]
        )

    def _code(self, texts: Sequence[str]) -> tuple[list[str], list[list[CodeScore]], int]:
        """The texts' units, their codings and how many are substantive; a structure unit (a heading, a dateline,
        page furniture: the rules of :mod:`zhagen.units.structure`) gets no coding, as in a project's open coding."""
        units = [u for text in texts for u in units_of(text)]
        substantive = [i for i, c in enumerate(classify_all(units)) if not c.structure]
        codings: list[list[CodeScore]] = [[] for _ in units]
        for i, found in zip(substantive, self.coder.predict([units[i] for i in substantive])):
            codings[i] = found
        return units, codings, len(substantive)

    def evidence(self, texts: Sequence[str], *, classifier: DocumentClassifier | None = None) -> tuple[
            TextEvidence, list[str], list[list[CodeScore]]]:
        """The document-level evidence of several texts about one project, pooled (title and lead: the first text's)."""
        return self._evidence(readable(texts), classifier)

    def _evidence(self, texts: Sequence[str], classifier: DocumentClassifier | None) -> tuple[
            TextEvidence, list[str], list[list[CodeScore]]]:
        """:meth:`evidence` of texts already as the reading reads them (:func:`readable`)."""
        units, codings, substantive = self._code(texts)
        mains, cats = level_maps(codings, self.codebook)
        classifier = classifier or self.classifier
        probabilities = None
        if classifier is not None and texts:
            rows = classifier.predict_proba(list(texts))
            probabilities = {p: sum(r[p] for r in rows) / len(rows) for p in self.patterns}
        whole = normalise("\n".join(texts))
        terms = {code: len(found) for code, found in self.coder.lexicon.terms_by_code(whole).items()}
        lead = normalise("\n".join(units[:LEAD_UNITS]))
        lead_terms = {code: len(found) for code, found in self.coder.lexicon.terms_by_code(lead).items()}
        return TextEvidence(mains, cats, probabilities, terms, lead_terms, whole, substantive), units, codings

    def assess_case(self, texts: Sequence[str], *, classifier: DocumentClassifier | None = None,
                    weight: float | None = None) -> dict[str, Any]:
        """Pattern reading (one pattern, mixed or none), pattern scores and forces of several texts about one project;
        ``pinyin_dropped``: the bracketed pinyin annotations the texts were read without (read once, for the
        evidence and the scope)."""
        repaired = [drop_pinyin(text) for text in texts]
        read = [text for text, _dropped in repaired]
        evidence, units, codings = self._evidence(read, classifier)
        prof = profile(evidence.mains, range(len(units)), self.patterns, self.forces)
        return {**self.judge(evidence, in_scope=self.scope.in_scope(read), weight=weight),
                "evidence": {k: [units[u] for u in v] for k, v in prof.evidence.items()}, "codings": codings,
                "units": units, "pinyin_dropped": sum(dropped for _text, dropped in repaired)}

    def in_scope(self, texts: Sequence[str]) -> bool:
        """Whether the texts are about the study's region (:class:`~zhagen.analysis.scope.Scope`), as read."""
        return self.scope.in_scope(readable(texts))

    def evidenced(self, evidence: TextEvidence) -> int:
        """How much a text gives to read, for the reading rule's "too little evidence": the units that evidence a
        pattern. With a calibrated reading, which reads the whole text (its n-gram models too), also the codebook's
        pattern terms named anywhere, and without either its substantive sentences when there are at least
        :data:`READ_WITHOUT_TERMS`: a story told in words the codebook lacks is read, a lone headline, dateline or
        place name is not (2026-12-05: counting codebook evidence alone sent such stories to "none"; on the
        development texts cross-validated, clear texts 0.795 -> 0.813, unclear -> mixed 0.36 -> 0.47)."""
        units = sum(any(m.get(p, 0.0) >= EVIDENT for p in self.patterns) for m in evidence.mains)
        if self.reading is None:
            return units
        named = units + sum(evidence.terms.get(c, 0) for p in self.patterns for c in self.reading.subtrees.get(p, ()))
        if named or evidence.substantive is None or evidence.substantive < READ_WITHOUT_TERMS:
            return named
        return evidence.substantive

    def judge(self, evidence: TextEvidence, *, in_scope: bool, weight: float | None = None) -> dict[str, Any]:
        """Pattern scores, forces and the reading (one pattern, mixed or none) from a text's evidence: the calibrated
        reading when the study ships one, else unit evidence mixed with the document classifier."""
        unclear = off_topic = 0.0
        gate: float | None = None
        settings = self.reading_settings
        if self.reading is not None:
            ngram = self.reading.ngram_scores(evidence.text)
            classes = self.reading.class_scores(evidence, ngram)
            scores = {p: classes[p] for p in self.patterns}
            unclear, off_topic = classes.get("unclear", 0.0), classes.get("off_topic", 0.0)
            forces = self.reading.force_scores(evidence, ngram)
            gate = self.reading.unclear_score(evidence, scores, ngram)
            if gate is not None:  # a text that centres on no single case is read mixed
                unclear = gate
                settings = replace(settings, max_unclear=self.reading.unclear_threshold)
        else:
            prof = profile(evidence.mains, range(len(evidence.mains)), self.patterns, self.forces)
            weight = self.settings.classifier_weight if weight is None else weight
            unit_scores = prof.pattern_scores if prof.pattern is not None else dict.fromkeys(self.patterns, 0.0)
            scores = combine(unit_scores, evidence.classifier, weight if prof.pattern is not None else 1.0)
            forces = prof.forces
        reading = read_pattern(scores, self.patterns, evidence_units=self.evidenced(evidence), in_scope=in_scope,
                               unclear=unclear, off_topic=off_topic, settings=settings)
        return {"pattern": reading.pattern, "sharing": list(reading.sharing), "reading": reading.reason,
                "pattern_scores": scores, "unclear": gate, "forces": forces}

    def assess_text(self, text: str, *, weight: float | None = None) -> dict[str, Any]:
        return self.assess_case([text], weight=weight)

    def suggestions(self, pattern: str | None, forces: dict[str, float], evidenced: set[str]) -> list[dict[str, Any]]:
        """Path suggestions for the host city, read from the kept edges of the study's path model alone (as the
        report's path suggestions are, :mod:`zhagen.report.paths`): a code the study's cases of this pattern go with
        that the text does not show (``missing_link``), a force weak in this text with the kept route, if any, by
        which it reaches the pattern (``weak_force``), and a moderator that a kept edge ties to the pattern which the
        text says nothing on (``moderator``). Each cites the edges it rests on (``basis``: support and cases); where
        no kept edge leads from a weak force to the pattern it says so, and no link the evidence did not keep is
        claimed. Names of codes and families come from the study's codebook and declarations; no pattern (a text
        read ``none``), no suggestion."""
        if pattern is None:
            return []
        ranked = sorted((e for e in self.edges if e.target == pattern), key=lambda e: (-e.support, e.source))
        into = [e for e in ranked if e.kind != "moderates"]
        moderating = [e for e in ranked if e.kind == "moderates"]
        goal = {"zh": f"“{self.codebook.get(pattern).name_zh}”", "en": f"“{self.codebook.get(pattern).name_en}”"}
        named, result = self._named, []
        for force in self.forces:
            strength = forces.get(force, 0.0)
            if strength >= EVIDENCED_FORCE:
                continue
            routes = [(e, n) for n in into for e in self.edges if e.source == force and e.target == n.source]
            routes = (routes + [(e, None) for e in into if e.source == force])[:2]
            zh = f"{self.codebook.get(force).name_zh}在本文本中偏弱（{strength:.2f}）。"
            en = f"{_capital(self.codebook.get(force).name_en)} is weak in this text ({strength:.2f}). "
            if routes:
                steps_zh = [f"它与{named(e.target, 'zh')}同时出现{_support(e, 'zh')}"
                            + (f"，后者与{goal['zh']}同时出现{_support(n, 'zh')}" if n else "") for e, n in routes]
                steps_en = [f"it goes with {named(e.target, 'en')}{_support(e, 'en')}"
                            + (f", which goes with {goal['en']}{_support(n, 'en')}" if n else "") for e, n in routes]
                zh += "本研究的案例中，" + "；".join(steps_zh) + "：证据指向从这里补强。"
                en += "In the study's cases " + "; ".join(steps_en) + ": the evidence points to strengthening it there."
            else:
                zh += f"本研究的路径模型中没有从它通向{goal['zh']}的保留关系，证据不支持经由它的路径建议。"
                en += (f"The study's path model keeps no relation leading from it to {goal['en']}: the evidence "
                       "supports no route through it.")
            result.append({"kind": "weak_force", "target": force, "zh": zh, "en": en,
                           "basis": [_basis(x) for e, n in routes for x in (e, n) if x is not None]})
        unshown = (  # a kept edge into the pattern whose source the text does not show
            ("missing_link", into[:4], "本研究中{goal}的案例与{code}同时出现{support}，本文本未见相应内容，建议考虑。",
             "The study's cases of {goal} go with {code}{support}; this text shows none: consider it."),
            ("moderator", moderating, "本研究的案例中，{code}调节{goal}{support}，本文本未加说明，建议评估。",
             "In the study's cases {code} moderates {goal}{support}; this text says nothing on it: assess it."))
        for kind, edges, zh_text, en_text in unshown:
            for edge in edges:
                if edge.source not in evidenced:
                    result.append({"kind": kind, "target": edge.source, "basis": [_basis(edge)], **{
                        lang: text.format(goal=goal[lang], code=named(edge.source, lang), support=_support(edge, lang))
                        for lang, text in (("zh", zh_text), ("en", en_text))}})
        return result

    def _named(self, code_id: str, lang: str) -> str:
        """A code as a suggestion names it: its name with its family's name (the study's declarations)."""
        code = self.codebook.get(code_id)
        family = self.declarations.family_name(self.codebook.family_of(code_id), lang)
        if lang == "zh":
            return f"{family}“{code.name_zh}”"
        return f"“{code.name_en}”" + (f" ({family})" if family else "")


def _support(edge: Link, lang: str) -> str:
    """What a kept edge rests on, in words."""
    return f"（{edge.support} 个单元，{edge.cases} 个案例）" if lang == "zh" else f" ({edge.support} units, {edge.cases} cases)"


def _basis(edge: Link) -> dict[str, Any]:
    """A kept edge as a suggestion cites it."""
    return {"source": edge.source, "target": edge.target, "support": edge.support, "cases": edge.cases}


#: Quotes shown per code.
QUOTES_PER_CODE = 3


def _quotes(code: str, texts: Sequence[str]) -> list[dict[str, str]]:
    """A code's evidence in the text, with what each quote states (:mod:`zhagen.coding.evidence`: realised,
    neutral, intended or contradicting, and the words that decided it): quotes that state what they are cited for
    first, then plans, then limitations, each kind in the text's order, so that a plan or a negation is not shown
    as if it were the fact."""
    read = [(text, *reading(text)) for text in texts]
    order = {kind: rank for rank, kind in enumerate(KINDS)}  # realised, neutral, intended, contradicting
    ranked = sorted(range(len(read)), key=lambda i: (order[read[i][1]], i))
    return [{"code": code, "text": read[i][0], "kind": read[i][1], "cue": read[i][2]}
            for i in ranked[:QUOTES_PER_CODE]]


def _evidence_order(found: Mapping[str, Any]) -> list[str]:
    """The codes whose quotes a reading shows, in the order a reader asks for them: the patterns the text is read as
    (``sharing``), the other patterns and then the forces by their scores, highest first (a unit may evidence a
    pattern the whole text is not about: its quote comes after those of the answer, not before them by name)."""
    scores = {**found["pattern_scores"], **found["forces"]}
    sharing = list(found["sharing"])
    rank = {code: (0, sharing.index(code)) if code in sharing else
            (1 if code in found["pattern_scores"] else 2, -scores.get(code, 0.0)) for code in found["evidence"]}
    return sorted(found["evidence"], key=lambda code: (rank[code], code))


def _capital(text: str) -> str:
    """The text with its first letter in upper case (a code's English name opens a sentence)."""
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=1)
def builtin_model() -> StudyModel:
    return StudyModel.fit_builtin()


def assess_files(paths: Sequence[Path], progress: Callable[[Path], None] | None = None,
                 failed: list[str] | None = None) -> list[dict[str, Any]]:
    """The assessment of each file (every document of a CSV counts as one text); ``progress`` is called after each
    file (reading a text's embedding takes most of a second: a folder of them takes minutes). ``failed``, when given,
    takes the one-line reason of each file that cannot be read (empty, binary, not a known kind ...) and the others
    are assessed, as ``zhagen import`` goes on past such a file; without it the first such file stops the run."""
    model = builtin_model()
    results = []
    for path in paths:
        try:
            documents = read_source(path)
        except UserError as exc:
            if failed is None:
                raise
            failed.append(exc.one_line())
            documents = []
        for doc in documents:
            found = model.assess_text(doc.text)
            codes: set[str] = set()
            for scores in found["codings"]:
                for score in scores:
                    codes.add(score.code_id)
                    main = model.codebook.main_category_of(score.code_id)
                    if main is not None:
                        codes.add(main.id)
            results.append({
                "file": doc.source,
                "pattern": found["pattern"],
                "sharing": found["sharing"],
                "reading": found["reading"],
                "pattern_scores": found["pattern_scores"],
                "unclear": found["unclear"],
                "forces": found["forces"],
                "pinyin_dropped": found["pinyin_dropped"],
                "label_header": doc.header,
                "evidence": [quote for k in _evidence_order(found) for quote in _quotes(k, found["evidence"][k])],
                "suggestions": model.suggestions(found["sharing"][0] if found["sharing"] else None, found["forces"], codes),
            })
        if progress is not None:
            progress(path)
    return results
