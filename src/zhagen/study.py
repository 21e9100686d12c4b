"""Running a whole study: a shipped one (the built-in study by default), or a researcher's project.

``run_builtin`` makes the output folder a zhagen project (so that ``zhagen
serve`` and ``zhagen report`` work on it), imports the shipped study's corpus
(``zhagen.studies.shipped``) with its manifest and codebook on the first run, codes and models it, and writes
``results.json``.  A later run over the same folder keeps every human decision
stored there.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from zhagen.analysis.corpus_profile import corpus_profile
from zhagen.analysis.reliability import machine_vs_gold, read_gold
from zhagen.analysis.saturation import SaturationSettings, case_code_sets, guest_test, reserved_case_test
from zhagen.analysis.reading import CASE_READING, NONE, read_pattern
from zhagen.analysis.typology import Profile
from zhagen.coding.codebook import Codebook, load_codebook
from zhagen.coding.documents import DocumentSettings, combine, leave_one_case_out
from zhagen.coding.engine import EngineSettings, Model
from zhagen.corpus.importer import import_sources
from zhagen.errors import UserError
from zhagen.exchange.beside import ModelExport
from zhagen.files import write_text_atomic
from zhagen.kept_kinds import KeptKinds
from zhagen.declarations import Declarations, default_declarations
from zhagen.pipeline import STUDY_FILE, OpenCodingOutcome, all_profiles, code_project, model_outcome, project_declarations
from zhagen.project import CODEBOOK_FILE, Project
from zhagen.results_model import Results
from zhagen.results import build_results
from zhagen.store.corpus import document_text, list_cases, list_documents, unit_locations
from zhagen.studies.shipped import DEFAULT, document_kinds, shipped

Step = Callable[[str], None]


def dumps(data: Any) -> str:
    """The canonical JSON of zhagen outputs: sorted keys, UTF-8, two-space indent."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def prepare_builtin(out: Path, name: str = DEFAULT) -> Project:
    """Create the study project in ``out`` (or reopen it) with a shipped study's corpus and codebook (the built-in
    study by default); a folder that already holds another study is refused rather than mixed."""
    chosen = shipped(name)
    codebook = load_codebook(chosen.codebook_path)
    existing = out / CODEBOOK_FILE
    if existing.is_file() and load_codebook(existing).id != codebook.id:
        raise UserError(f"this folder holds the study {load_codebook(existing).id!r}, not {codebook.id!r}",
                        where=str(out), hint="choose another folder with --out")
    label = "built-in study" if chosen.name == DEFAULT else f"example study {chosen.name} shipped with zhagen"
    project = Project.init(out, name=f"{codebook.title} ({label})")
    if not project.codebook_path.exists():
        shutil.copyfile(chosen.codebook_path, project.codebook_path)
    if not (project.root / STUDY_FILE).exists() and (chosen.root / STUDY_FILE).is_file():
        shutil.copyfile(chosen.root / STUDY_FILE, project.root / STUDY_FILE)
    if chosen.gold_path and not (project.root / "gold.csv").exists():  # so that `zhagen model` computes reliability too
        shutil.copyfile(chosen.gold_path, project.root / "gold.csv")
    report = import_sources(project, [], manifest=chosen.manifest())
    if report.failed:  # the shipped corpus is tested; this is a broken installation
        raise RuntimeError(f"built-in corpus failed to import: {report.failed}")
    return project


def agrees(case: dict[str, Any]) -> bool:
    """A case agrees with the team's label when it is read as that pattern, or read as mixed (a hybrid) with the
    label among the patterns that share it; without a reading, when its leading pattern is the label."""
    if case.get("reading") == "mixed":
        return case["label"] in case.get("sharing", [])
    return (case.get("reading") or case.get("pattern")) == case["label"]


def pattern_agreement(results: dict[str, Any]) -> dict[str, Any]:
    """Share of cases whose reading agrees with the label the team assigned (see :func:`agrees`), with the stricter
    share whose leading pattern equals the label, and the cases read as mixed."""
    rows = [c for c in results["cases"] if c.get("label")]
    hits = [c for c in rows if agrees(c)]
    confusion: dict[str, dict[str, int]] = {}
    for case in rows:
        confusion.setdefault(case["label"], {}).setdefault(str(case.get("pattern")), 0)
        confusion[case["label"]][str(case.get("pattern"))] += 1
    return {
        "pattern_agreement": round(len(hits) / len(rows), 4) if rows else None,
        "cases": len(rows),
        "agreeing": len(hits),
        "disagreeing": sorted(c["id"] for c in rows if c not in hits),
        "confusion": confusion,
        "leading_pattern_agreement": round(sum(c.get("pattern") == c["label"] for c in rows) / len(rows), 4)
        if rows else None,
        # the reading rule (docs/method.md): cases read as mixed, with the patterns that share them
        "mixed": {c["id"]: c.get("sharing", []) for c in rows if c.get("reading") == "mixed"},
    }


def with_case_classifier(project: Project, profiles: dict[str, Profile], codebook: Codebook,
                         reserved: frozenset[str], declarations: Declarations | None = None,
                         excluded: frozenset[int] = frozenset()) -> dict[str, Profile]:
    """Mix a leave-one-case-out document classifier into the pattern scores of labelled cases.

    Only when the study declares a ``case_label`` attribute whose values are ids of
    its typology family (the team's labels, as in the built-in study); otherwise
    unit evidence alone.  ``excluded`` documents are left out of the classifier's texts (a sensitivity run)."""
    declarations = declarations or default_declarations(codebook)
    typology, label_key = declarations.typology_family, declarations.case_label
    if typology is None or label_key is None:
        return profiles
    patterns = [m.id for m in codebook.by_level("main_category") if m.family == typology]
    with project.read() as session:
        cases = list_cases(session)
        texts = {c.id: [document_text(session, d) or "" for d in c.document_ids if d not in excluded] for c in cases}
    labels = {c.id: c.attributes[label_key] for c in cases if c.attributes.get(label_key) in patterns}
    if len(set(labels.values())) < 2:
        return {case: with_reading(prof, patterns) for case, prof in profiles.items()}
    settings = DocumentSettings()
    training = [c for c in labels if c not in reserved]
    probabilities = leave_one_case_out(texts, labels, training, codebook, patterns, settings)
    mixed = {}
    for case, prof in profiles.items():
        if case not in probabilities or prof.pattern is None:
            mixed[case] = with_reading(prof, patterns)
            continue
        scores = combine(prof.pattern_scores, probabilities[case], settings.classifier_weight)
        pattern = max(patterns, key=lambda p: (scores[p], -patterns.index(p)))
        mixed[case] = with_reading(replace(prof, pattern=pattern, pattern_scores=scores), patterns)
    return mixed


def with_reading(prof: Profile, patterns: list[str]) -> Profile:
    """The case's reading by the rule of :mod:`zhagen.analysis.reading` (one pattern, mixed or none); the case's
    ``pattern`` stays its leading pattern, which the tables and figures group by."""
    if prof.pattern is None:
        return replace(prof, reading=NONE, sharing=())
    found = read_pattern(prof.pattern_scores, patterns, evidence_units=sum(len(prof.evidence.get(p, ())) for p in patterns),
                         settings=CASE_READING)
    return replace(prof, reading=found.pattern, sharing=found.sharing)


def collection_order(project: Project) -> list[str]:
    """Cases in their order of collection: by year when every case has one, else by first document."""
    with project.read() as session:
        cases = [c for c in list_cases(session) if c.document_ids]
    def key(case: Any) -> tuple[Any, ...]:
        year = str(case.attributes.get("year", ""))
        return (int(year) if year.isdigit() else 10**6, min(case.document_ids), case.id)
    return [c.id for c in sorted(cases, key=key)]


def saturation_section(project: Project, outcome: OpenCodingOutcome, model: Model) -> dict[str, Any]:
    settings = SaturationSettings()
    result = reserved_case_test(outcome, model, settings) if outcome.reserved else {"reserved_cases": []}
    order = collection_order(project)
    items = case_code_sets(outcome, order)
    if len(items) >= settings.base_size + settings.run_length:
        result["guest"] = guest_test(items, order, settings)
    return result


def reliability_section(project: Project, outcome: OpenCodingOutcome, gold: Path) -> dict[str, Any]:
    with project.read() as session:
        locations = unit_locations(session)
    index = {u.id: i for i, u in enumerate(outcome.units)}
    locate = {(case or "", Path(source).name, start, end): index[uid]
              for uid, (case, source, start, end) in locations.items() if uid in index}
    by_text = {(case or "", Path(source).name, outcome.units[index[uid]].text): index[uid]
               for uid, (case, source, _start, _end) in locations.items() if uid in index}
    codings = dict(enumerate(outcome.codings))
    return machine_vs_gold(read_gold(gold), locate, codings, outcome.codebook, by_text)


def saturation_of(project: Project, step: Step = lambda _s: None) -> dict[str, Any]:
    """Open coding and the model, then only the saturation tests (for ``zhagen saturation``)."""
    step("open coding")
    outcome = code_project(project, reuse=True)
    step("model and saturation")
    model, _keep = model_outcome(outcome, project_declarations(project, outcome.codebook))
    return saturation_section(project, outcome, model)


def analyse(project: Project, step: Step = lambda _s: None, *, gold: Path | None = None,
            exclude_kinds: tuple[str, ...] = (), settings: EngineSettings | None = None,
            coded: Callable[[], None] | None = None) -> dict[str, Any]:
    """Code and model a project; return the results document (with a ``sensitivity`` section, axial and selective
    coding re-run without the documents of ``exclude_kinds``, when given).  ``settings``: the engine's, default
    ones unless given (benchmarks vary them, e.g. the seed). ``coded`` is called once open coding has stored its
    codings, or as soon as it finds the last run kept: from then on modelling only reads the store (the model step
    starts its export there); it is called once or twice and must do nothing the second time."""
    step("open coding")
    outcome = code_project(project, settings, reuse=True, kept=coded)
    if coded is not None:  # open coding stored its run, or was the last run kept (then this second call does nothing)
        coded()
    step("axial and selective coding")
    declarations = project_declarations(project, outcome.codebook)
    kept_kinds = KeptKinds.of_project(project.root)
    model, keep = model_outcome(outcome, declarations, kept_kinds)
    kept_kinds.save()
    profiles = with_case_classifier(project, all_profiles(outcome, declarations), outcome.codebook, outcome.reserved,
                                    declarations)
    codebook = load_codebook(project.codebook_path)
    study = {"name": project.settings.name, "codebook": codebook.id, "codebook_version": codebook.version,
             "title": codebook.title, "title_en": codebook.title_en}
    results = build_results(project, outcome, model, keep, profiles, study)
    results["study_check"] = pattern_agreement(results)
    with project.read() as session:
        results["corpus"].update(corpus_profile(list_documents(session), document_kinds()))
    if exclude_kinds:
        from zhagen.analysis.sensitivity import sensitivity

        step(f"sensitivity: without {', '.join(exclude_kinds)}")
        results["sensitivity"] = sensitivity(project, outcome, declarations, model, results["cases"], exclude_kinds,
                                             with_case_classifier)
    step("saturation and reliability")
    results["saturation"] = saturation_section(project, outcome, model)
    gold = gold or (project.root / "gold.csv" if (project.root / "gold.csv").is_file() else None)
    if gold is not None:
        results["reliability"] = reliability_section(project, outcome, gold)
    from zhagen.team.adjudication import team_reliability

    team = team_reliability(project)  # blind double coding by the team's people, if any
    if team:
        results["team_reliability"] = team
    return results


def output_folder(project: Project) -> Path:
    """Where a project's outputs go: beside its store when ``zhagen run`` put them there, else ``output/``.

    Why: ``zhagen model`` on the folder ``zhagen run`` wrote must replace that run's outputs, not start a
    second set elsewhere."""
    return project.root if (project.root / "results.json").is_file() else project.output_dir


def write_results(out: Path, results: dict[str, Any]) -> Path:
    path = out / "results.json"
    Results.model_validate(results)  # the document matches the published schema's models before it is written
    write_text_atomic(path, dumps(results))
    return path


def write_all(project: Project, out: Path, results: dict[str, Any], step: Step = lambda _s: None,
              export: ModelExport | None = None) -> dict[str, Any]:
    """results.json, the report, workbook, tables, figures, graphs and the REFI-QDA project (``export``: the one
    started beside the modelling, see :func:`modelled`; written here when not given)."""
    from zhagen.report import write_outputs
    from zhagen.report.audit import collect as collect_audit
    from zhagen.report.sources import collect as collect_sources

    write_results(out, results)
    step("report, workbook, figures")
    export = export or ModelExport(project, out / "study.qdpx")  # the machine's analysis: suggestions, marked
    written = write_outputs(results, out, codebook=project.codebook_path, audit=collect_audit(project),
                            sources=collect_sources(project), draw=export.draw)
    step("REFI-QDA export" + (" (written beside the modelling)" if export.beside else ""))
    export.finish()
    written["qdpx"] = [str(export.path)]
    return written


def modelled(project: Project, out: Path, step: Step = lambda _s: None, *, exclude_kinds: tuple[str, ...] = (),
             gold: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model step: :func:`analyse`, then :func:`write_all`, its REFI-QDA export written by a second process
    from the end of open coding on for a large project (zhagen.exchange.beside); an error stops it."""
    with ModelExport(project, out / "study.qdpx") as export:
        results = analyse(project, step, gold=gold, exclude_kinds=exclude_kinds, coded=export.start)
        return results, write_all(project, out, results, step, export)


def own_codebook_note(out: Path, name: str = DEFAULT) -> str | None:
    """A note when the project in ``out`` codes with a codebook.yaml other than the one this version ships for the
    study: a re-run keeps the project's own (a researcher may have edited it), so results made after an upgrade
    would otherwise differ from a fresh run's without a word."""
    own = out / CODEBOOK_FILE
    if not own.is_file() or own.read_bytes() == shipped(name).codebook_path.read_bytes():
        return None
    return (f"{own} differs from the codebook shipped with this version of zhagen; the run coded with the "
            "project's own. To code with the shipped one, delete that file or run into a new --out folder.")


def run_builtin(out: Path, step: Step = lambda _s: None, name: str = DEFAULT) -> tuple[dict[str, Any], dict[str, Any]]:
    """A shipped study (the built-in one by default) end to end into ``out``; returns the results and the files
    written (with a note when the project codes with a codebook of its own: :func:`own_codebook_note`)."""
    chosen = shipped(name)
    note = own_codebook_note(out, chosen.name)
    step(f"importing the corpus of the study {chosen.name}")
    with prepare_builtin(out, chosen.name) as project:
        results, written = modelled(project, out, step, gold=chosen.gold_path)
    if note:
        written["notes"] = [*written.get("notes", []), note]
    return results, written


def load_results(path: Path) -> dict[str, Any]:
    """A results.json written by a previous run."""
    if not path.is_file():
        raise UserError("no results yet", where=str(path), hint="run: zhagen model DIR (or zhagen run)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"not a readable results file ({exc})", where=str(path)) from exc
