"""The ``zhagen`` command: argument handling around one library call per command.

A :class:`~zhagen.errors.UserError` becomes one line on standard error and exit
code 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from zhagen import __version__
from zhagen.errors import UserError
from zhagen.garbage import fewer_collections
from zhagen.names import safe_name
from zhagen.project import Project
from zhagen.store.trouble import explain as explain_storage
from zhagen.studies.shipped import DEFAULT as DEFAULT_STUDY
from zhagen.studies.shipped import available as available_studies
from zhagen.threads import limit_native_threads

app = typer.Typer(
    help="扎根 zhagen: computer-assisted, multi-case grounded theory.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Markup off: document text, file names and code names are the user's and may contain "[...]".
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

F = TypeVar("F", bound=Callable[..., Any])

ProjectDir = Annotated[Path, typer.Argument(help="The project folder.", show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler", envvar="ZHAGEN_SCHEDULER",
        help="Dask scheduler address (tcp://host:8786): per-unit work runs on that cluster (needs zhagen[cluster]).",
    ),
]


def user_errors(func: F) -> F:
    """Turn a UserError into one line on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            err.print(Text("error: ", style="bold red") + Text(safe_name(exc.one_line())))
            raise typer.Exit(1) from None
        except OverflowError:  # a number beyond any id the store can hold, e.g. 99999999999999999999999
            err.print(Text("error: ", style="bold red") + Text("a number given is out of range: no such id"))
            raise typer.Exit(1) from None
        except (OSError, ModuleNotFoundError, SQLAlchemyError) as exc:  # storage trouble: one line, else a bug
            problem = explain_storage(exc)
            if problem is None:
                raise
            err.print(Text("error: ", style="bold red") + Text(safe_name(problem.one_line())))
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8, keys in a stable order."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def progress_bar(description: str, total: int) -> Progress:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=total < 20 or not err.is_terminal,
    )
    progress.add_task(description, total=total)
    return progress


@app.command()
@user_errors
def init(root: ProjectDir, name: Annotated[str | None, typer.Option(help="Project name.")] = None,
         db: Annotated[str | None, typer.Option(
             "--db", help="Keep the store in this database (postgresql://user@host/db; the password comes "
             "from PGPASSWORD or ~/.pgpass) instead of zhagen.db.")] = None) -> None:
    """Create a project folder (settings, store, output folder)."""
    with Project.init(root, name=name, database=db) as project:
        store = f", store {project.store_name}" if project.settings.database else ""
        out.print(f"initialised {project.root} ({project.settings.name}{store})")


@app.command("import")
@user_errors
def import_(
    root: ProjectDir,
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders to import.", show_default=False)] = None,
    manifest: Annotated[Path | None, typer.Option(help="CSV or YAML: file -> case and attributes.")] = None,
    text_column: Annotated[str, typer.Option(help="CSV column holding the text.")] = "text",
    follow_links: Annotated[bool, typer.Option(help="Also read links that lead out of a folder.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import sources (.txt .md .docx .pdf .html .csv, folders recursively), REFI-QDA .qdpx projects and .qdc codebooks."""
    from zhagen.corpus.importer import count_source_files, import_sources
    from zhagen.corpus.manifest import load_manifest

    paths = paths or []
    archives = [p for p in paths if p.suffix.lower() in (".qdpx", ".qdc")]
    paths = [p for p in paths if p.suffix.lower() not in (".qdpx", ".qdc")]
    loaded = load_manifest(manifest) if manifest else None
    if not paths and not archives and loaded is None:
        raise UserError("nothing to import", hint="give files or folders, or --manifest")
    if archives:
        _import_archives(root, archives, as_json)
        if not paths and loaded is None:
            return
    with Project.open(root) as project:
        total = count_source_files(paths, loaded)
        with progress_bar("importing", total) as bar:
            report = import_sources(
                project,
                paths,
                manifest=loaded,
                csv_text_column=text_column,
                progress=lambda _p: bar.advance(bar.task_ids[0]),
                follow_outside_links=follow_links,
            )
    if as_json:
        print_json(report.to_dict())
    else:
        print_import_report(report.to_dict())
    if report.failed:
        raise typer.Exit(1)


def _import_archives(root: Path, archives: list[Path], as_json: bool) -> None:
    """REFI-QDA projects from other tools: each archive in one transaction."""
    from zhagen.exchange.refiqda import import_qdc, import_qdpx

    with Project.open(root) as project:
        for archive in archives:
            counts = (import_qdc if archive.suffix.lower() == ".qdc" else import_qdpx)(project, archive)
            if as_json:
                print_json({"archive": str(archive), **counts})
                continue
            out.print(f"imported {archive}: " + ", ".join(f"{k} {v}" for k, v in counts.items() if isinstance(v, int)))
            if counts.get("sources_skipped"):
                out.print("not imported (zhagen holds text only): "
                          + ", ".join(f"{kind} {n}" for kind, n in counts["sources_skipped"].items()))
            for warning in counts.get("warnings", []):
                err.print(Text("warning: ", style="yellow") + Text(warning))


def print_import_report(data: dict[str, Any]) -> None:
    for failure in data["failed"]:
        err.print(Text("failed: ", style="red") + Text(failure["reason"]))
    for entry in data.get("skipped", []):
        err.print(Text("skipped: ", style="yellow") + Text(f"{entry['source']}: {entry['reason']}"))
    for entry in data.get("warnings", []):
        err.print(Text("warning: ", style="yellow") + Text(f"{entry['source']}: {entry['reason']}"))
    summary = (
        f"imported {data['imported']} document(s) into {len(data['cases'])} case(s), "
        f"{data['units']} meaning units; {data['unchanged']} already stored"
    )
    if data.get("repeated"):
        summary += f"; {data['repeated']} repeated a stored text word for word (listed above)"
    if data["failed"]:
        summary += f"; {len(data['failed'])} file(s) failed and were not imported"
    if data.get("skipped"):
        summary += f"; {len(data['skipped'])} entr{'y' if len(data['skipped']) == 1 else 'ies'} skipped (listed above)"
    out.print(summary)


@app.command()
@user_errors
def status(root: ProjectDir, as_json: JsonFlag = False) -> None:
    """Counts of documents, cases and meaning units, whether the code system is closed and, when it is, what the
    next zhagen code will read."""
    from zhagen import closed_coding

    with Project.open(root) as project:
        data = project.status()
        data["code_system"] = "closed" if closed_coding.path(project.root).is_file() else "open"
        if data["code_system"] == "closed":
            from zhagen.closed_added import next_run
            from zhagen.coding.engine import EngineSettings

            data["next_code_run_reads"] = next_run(project, EngineSettings())
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False)
    for key, value in data.items():
        table.add_row(key, str(value))
    out.print(table)


@app.command()
@user_errors
def units(
    root: ProjectDir,
    doc: Annotated[int | None, typer.Option(help="Only this document id.")] = None,
    structure: Annotated[bool, typer.Option("--structure", help="Only the units open coding leaves out as "
                                                                "structure (headings, dates, boilerplate ...).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List meaning units with their [start, end) offsets and class (substantive, or the kind of structure and the
    rule or researcher that classed it; zhagen code classes them, zhagen decide unit-class overrides)."""
    from zhagen.store.corpus import document_text, list_units
    from zhagen.store.structure import unit_classes
    from zhagen.units.structure import UnitClass

    with Project.open(root) as project, project.read() as session:
        if doc is not None and document_text(session, doc) is None:
            raise UserError(f"no document with id {doc}", hint="see: zhagen status, or zhagen units without --doc")
        rows = list_units(session, document_id=doc)
        classes = unit_classes(session, document_id=doc)
    structural = {u for u, kind_rule in classes.items() if UnitClass(*kind_rule).structure}
    if structure:
        rows = [r for r in rows if r.id in structural]
        if not classes:
            err.print(Text("note: ", style="yellow") + Text("no unit is classed yet: zhagen code classes them"))
    if as_json:
        print_json([{**r.__dict__, "class": classes[r.id][0] if r.id in classes else None,
                     "rule": classes[r.id][1] if r.id in classes else None} for r in rows])
        return
    table = Table("unit", "doc", "start", "end", "class", "text")
    for r in rows:
        kind, rule = classes.get(r.id, ("", ""))
        shown = Text(kind) + (Text(f" ({rule})", style="dim") if r.id in structural else Text(""))
        table.add_row(str(r.id), str(r.document_id), str(r.start), str(r.end), shown, r.text)
    out.print(table)


def _step(message: str) -> None:
    err.print(Text(f"… {message}", style="dim"))


@app.command()
@user_errors
def run(
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (becomes a zhagen project).")] = Path("zhagen-out"),
    study: Annotated[str, typer.Option("--study", help=f"Shipped study to run: {', '.join(available_studies())}.")]
    = DEFAULT_STUDY,
    as_json: JsonFlag = False,
    scheduler: SchedulerOption = None,
) -> None:
    """Run a shipped study end to end (the built-in one by default): import, code, model, results."""
    from zhagen.coding.parallel import cluster
    from zhagen.study import run_builtin

    with cluster(scheduler):
        results, written = run_builtin(out_dir, step=_step, name=study)
    if as_json:
        print_json({"study_check": results["study_check"], "written": written})
        return
    print_run_summary(results, out_dir)
    print_written(written)


def print_written(written: dict[str, Any]) -> None:
    for note in written.get("notes", []):
        err.print(Text("note: ", style="yellow") + Text(note))
    kinds = [k for k in ("html", "xlsx", "docx", "methods", "figures", "tables", "graph", "qdpx") if written.get(k)]
    out.print("written: " + ", ".join(f"{k} ({len(written[k])})" for k in kinds))
    if written.get("html"):
        out.print(f"into: {Path(written['html'][0]).parent}")


def print_run_summary(results: dict[str, Any], out_dir: Path) -> None:
    """The cases table and the headline figures of a run (columns as the study declares them)."""
    from zhagen.exchange.tables import Names, profile_families

    names = Names(results)
    columns = [attribute for attribute, _zh, _en in names.case_columns][:1]
    forces = sorted({f for case in results["cases"] for f in case.get("forces", {})})
    profiled = ", ".join(names.family(f)[1] for f in profile_families(results)) or "force"
    table = Table("case", *columns, "label", "dominant", *forces,
                  title=f"cases ({profiled}: share of substantive units)" if forces else "cases")
    for case in results["cases"]:
        shares = case.get("forces", {})
        mark = " (reserved)" if case["reserved"] else ""
        table.add_row(
            case["id"] + mark, *(str(case.get("attributes", {}).get(c) or "") for c in columns),
            str(case.get("label") or ""),
            str(case.get("pattern") or "—")
            + (f" (mixed: {' + '.join(case.get('sharing', []))})" if case.get("reading") == "mixed" else ""),
            *(f"{shares.get(f, 0):.2f}" for f in forces),
        )
    out.print(table)
    selective = results["selective_coding"]
    check = results.get("study_check") or {}
    null = selective["path_model"].get("null_baseline", {})
    stability = results["open_coding"].get("concept_stability")
    stable = (f" ({stability['stable']} stable, {stability['dissolved']} dissolve when the units are clustered again)"
              if stability else "")
    out.print(
        f"concepts {len(results['open_coding']['concepts'])}{stable}, "
        f"categories {len(results['axial_coding']['categories'])}, "
        f"main categories {len(results['axial_coding']['main_categories'])}, "
        f"path-model edges {len(selective['path_model']['edges'])} "
        f"(null model: {null.get('mean_edges', 0)} on average over {null.get('draws', 0)} random draws)"
    )
    core = selective["core_category"]
    if core.get("computed"):
        out.print(f"core category (computed): {core['name_zh']} / {core['name_en']}")
    else:
        out.print(f"core category: none ({core.get('reason', '')})")
    if core.get("hypothesised"):
        agree = "agrees" if core.get("agreement") else "does not agree"
        out.print(f"core category (hypothesised): {core.get('hypothesised_name_zh')} / {core.get('hypothesised_name_en')}"
                  f" — {agree} with the computed one")
    if check.get("pattern_agreement") is not None:
        out.print(f"agreement with the team's labels: {check['pattern_agreement']} ({check['agreeing']}/{check['cases']})")
    if check.get("mixed"):
        out.print(f"read as mixed (hybrid): {', '.join(sorted(check['mixed']))}")
    out.print(f"story line: {selective['story_line']['zh']}")
    out.print(f"results: {out_dir / 'results.json'}")


@app.command()
@user_errors
def code(root: ProjectDir, as_json: JsonFlag = False, scheduler: SchedulerOption = None,
         force: Annotated[bool, typer.Option("--force", help="Compute again even when nothing it reads has "
                                                               "changed since the last run.")] = False,
         close: Annotated[bool, typer.Option("--close", help="Fit the code system anew and close it: later runs code "
                                                               "new material against it and compute only new or "
                                                               "changed units.")] = False,
         reopen: Annotated[bool, typer.Option("--reopen", help="Remove the closed code system: this run fits it "
                                                                 "again from the whole corpus.")] = False) -> None:
    """Open coding of a project with its codebook.yaml (human decisions kept); nothing to do when nothing it reads
    (units, codebook, decisions, human codings, closed code system, settings, versions) changed since the last run."""
    from zhagen import closed_coding
    from zhagen.closed_added import CodingSummary, code_added
    from zhagen.coding.engine import EngineSettings
    from zhagen.coding.parallel import cluster
    from zhagen.pipeline import NothingChanged, code_project

    if close and reopen:
        raise UserError("--close and --reopen together", hint="--close fits and closes the code system, --reopen "
                                                             "opens it again: choose one")
    with cluster(scheduler), Project.open(root) as project:
        if reopen:
            err.print(f"reopened the code system: {closed_coding.FILE} removed; this run fits it from the whole corpus"
                      if closed_coding.reopen(project.root) else "the code system is open already: nothing to reopen")
        try:
            added = None if (force or close or reopen) else code_added(project, EngineSettings())
            summary = added or CodingSummary.of(code_project(project, close=close, recompute=force,
                                                             unless_unchanged=not (force or close)))
        except NothingChanged as same:
            if as_json:
                print_json({"unchanged_since_run": same.run_id, "run": same.run_id})
            else:
                out.print(f"nothing changed since run {same.run_id} (units, codebook, decisions, human codings, "
                          "settings and versions are the same): its codings stand; nothing was computed (--force "
                          "computes again)")
            return
    data = {"units": summary.units, "codings": summary.codings, "concepts": summary.concepts, "run": summary.run_id,
            "notes": summary.notes}
    if as_json:
        print_json(data)
    else:
        out.print(f"coded {summary.units} units: {summary.codings} codebook codings, {summary.concepts} initial concepts "
                  f"(run {summary.run_id})")
        for note in summary.notes:
            err.print(Text("note: ", style="yellow") + Text(note))


@app.command()
@user_errors
def model(root: ProjectDir, as_json: JsonFlag = False, scheduler: SchedulerOption = None,
          exclude_kind: Annotated[list[str] | None, typer.Option(
              "--exclude-kind", help="Also re-run axial/selective coding without documents of this kind "
                                     "(the manifest's kind column, e.g. summary) and show what changes.")] = None,
          force: Annotated[bool, typer.Option("--force", help="Compute again even when nothing it reads has "
                                                                "changed since the last run and its outputs stand.")] = False,
          ) -> None:
    """Open, axial and selective coding and the typology; writes results and outputs where they were before.
    Nothing to do when nothing it reads changed since the last run and the files it wrote are untouched."""
    from zhagen.coding.parallel import cluster
    from zhagen.model_rerun import model_inputs, record, why_again
    from zhagen.study import modelled, output_folder

    kinds = tuple(sorted(exclude_kind or ()))
    with Project.open(root) as project:
        target = output_folder(project)
        parts = model_inputs(project, {"exclude_kinds": kinds})
    reasons = ["--force asks for it"] if force else why_again(target, parts)
    if not reasons:
        if as_json:
            print_json({"unchanged": True, "results": str(target / "results.json")})
        else:
            out.print(f"nothing changed since the last model run (store, codebook, study, reference coding, options "
                      f"and versions are the same, its outputs untouched): {target} stands; nothing was computed "
                      "(--force computes again)")
        return
    for reason in reasons:
        err.print(Text("note: ", style="yellow") + Text(f"computing: {reason}"))
    with cluster(scheduler), Project.open(root) as project:
        results, written = modelled(project, target, _step, exclude_kinds=kinds)
    record(target, parts, written)
    if as_json:
        print_json(results)
    else:
        print_run_summary(results, target)
        print_written(written)


@app.command()
@user_errors
def report(root: ProjectDir) -> None:
    """Re-write the report, workbook, tables and figures from the project's latest results."""
    from zhagen.report import write_outputs
    from zhagen.report.audit import collect
    from zhagen.report.sources import collect as collect_sources
    from zhagen.study import load_results

    with Project.open(root) as project:
        base = project.root if (project.root / "results.json").is_file() else project.output_dir
        written = write_outputs(load_results(base / "results.json"), base, codebook=project.codebook_path,
                                audit=collect(project), sources=collect_sources(project))
    print_written(written)


@app.command()
@user_errors
def assess(
    paths: Annotated[list[Path], typer.Argument(
        help="Texts to assess (.txt .md .docx .pdf .html .csv), or folders of them (read recursively).")],
    as_json: JsonFlag = False,
) -> None:
    """Apply the built-in study's model to new texts: pattern, forces, evidence, suggestions.

    Each text takes most of a second on one core; ZHAGEN_NATIVE_THREADS=2 uses two, with the same output. A file
    that cannot be read is listed and the others are assessed (exit status 1)."""
    from zhagen.assess import assess_files
    from zhagen.corpus.readers import iter_source_files
    from zhagen.corpus.walk import Skipped

    skipped: list[Skipped] = []
    files = list(iter_source_files(paths, skipped=skipped))
    failed = [f"{s.source}: {s.reason}" for s in skipped]
    if not files:
        raise UserError("no text to assess", where=", ".join(str(p) for p in paths),
                        hint="give text files (.txt .md .docx .pdf .html .csv) or folders that hold some")
    with progress_bar("assessing", len(files)) as bar:
        results = assess_files(files, progress=lambda _path: bar.advance(bar.task_ids[0]), failed=failed)
    _print_assessed(results, as_json)
    for reason in failed:
        err.print(Text("failed: ", style="red") + Text(safe_name(reason)))
    if failed:
        raise typer.Exit(1)


def _answer(item: Mapping[str, Any]) -> str:
    """An assessment's pattern, with the patterns that share a mixed text."""
    return str(item["pattern"]) + (f" ({' + '.join(item['sharing'])})" if item["pattern"] == "mixed" else "")


def _print_assessed(results: list[dict[str, Any]], as_json: bool) -> None:
    """The assessments as JSON, or one table a text and, for several texts, one line each at the end (a folder of
    project documents is read at a glance)."""
    from zhagen.assess import EVIDENCED_FORCE

    if as_json:
        print_json(results)
        return
    for item in results:
        table = Table(title=item["file"], show_header=False)
        table.add_row("pattern", _answer(item))
        table.add_row("why", str(item["reading"]))
        table.add_row("scores", ", ".join(f"{k} {v:.2f}" for k, v in item["pattern_scores"].items()))
        table.add_row("forces", ", ".join(f"{k} {v:.2f}{' ✓' if v >= EVIDENCED_FORCE else ''}"
                                          for k, v in item["forces"].items()))
        if item["pinyin_dropped"]:
            table.add_row("read without", f"{item['pinyin_dropped']} bracketed pinyin annotations")
        if item["label_header"]:
            table.add_row("read without", f"the label header ({', '.join(item['label_header'])})")
        for evidence in item["evidence"][:6]:
            stated = "" if evidence["kind"] in ("realised", "neutral") else f"\n({evidence['kind']}: {evidence['cue']})"
            table.add_row(evidence["code"] + stated, evidence["text"])
        for suggestion in item["suggestions"]:
            table.add_row("suggestion", f"{suggestion['zh']}\n{suggestion['en']}")
        out.print(table)
    if len(results) > 1:
        answers = Counter(str(item["pattern"]) for item in results)
        summary = Table(title=f"{len(results)} texts: " + ", ".join(f"{p} {n}" for p, n in sorted(answers.items())))
        for column in ("text", "pattern", "strongest score", f"forces ≥ {EVIDENCED_FORCE}"):
            summary.add_column(column, overflow="fold")
        for item in results:
            pattern, score = max(item["pattern_scores"].items(), key=lambda kv: kv[1])
            strongest = f"{score:.2f}" if pattern == item["pattern"] else f"{pattern} {score:.2f}"
            summary.add_row(item["file"], _answer(item), strongest,
                            ", ".join(f for f, v in item["forces"].items() if v >= EVIDENCED_FORCE) or "—")
        out.print(summary)


@app.command()
@user_errors
def agreement(
    file: Annotated[Path, typer.Argument(help="CSV with the columns unit,coder,code (a missing row is a missing value).")],
    level: Annotated[str, typer.Option(help="nominal, ordinal, interval or ratio.")] = "nominal",
    order: Annotated[str | None, typer.Option(
        help="Ordinal level: the text codes lowest first, comma-separated, e.g. low,mid,high.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Agreement statistics for a CSV of codings: percent, Cohen, Fleiss, Krippendorff, Holsti.

    Several codes from one coder on one unit (nominal level): the code sets are compared as wholes, Holsti and
    the per-code figures judge each code.
    """
    from zhagen.analysis.agreement import agreement_report, read_codings_csv, validate_level

    validate_level(level)
    ordered = [code.strip() for code in order.split(",") if code.strip()] if order is not None else None
    data = agreement_report(read_codings_csv(file, level), level, order=ordered).to_dict()
    if as_json:
        print_json(data)
        return
    table = Table("statistic", "value", title=f"{file} ({level}; coders: {', '.join(data['coders'])})")
    for key in ("units", "pairable_units", "percent_agreement", "cohen_kappa", "holsti", "fleiss_kappa",
                "krippendorff_alpha"):
        value = data[key]
        table.add_row(key, "—" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value)))
    out.print(table)
    for note in data["notes"]:
        out.print(f"note: {note}")


@app.command()
@user_errors
def saturation(root: ProjectDir, as_json: JsonFlag = False) -> None:
    """Theoretical saturation: reserved cases and Guest et al. (2020)."""
    from zhagen.study import saturation_of

    with Project.open(root) as project:
        data = saturation_of(project, step=_step)
    if as_json:
        print_json(data)
        return
    if data.get("reserved_cases"):
        out.print(f"reserved cases: {', '.join(c['case'] for c in data['reserved_cases'])}")
        out.print(f"new concepts {data['new_concepts']}, new categories {data['new_categories']} "
                  f"{data['new_category_ids']}, new relations {data['new_relations']} {data['new_relation_ids']}")
        out.print(f"saturated: {data['saturated']}")
    guest = data.get("guest")
    if guest:
        out.print(f"Guest et al.: base {guest['base_size']}, run {guest['run_length']}, threshold {guest['threshold']}: "
                  f"saturation at {guest['saturation_point']} cases (median over random orders "
                  f"{guest['spread']['median']}, share saturating {guest['spread']['share_saturated']:.2f})")


@app.command()
@user_errors
def reliability(
    root: ProjectDir,
    coder: Annotated[list[str], typer.Option("--coder", help="Give exactly two, e.g. --coder alice --coder zhagen.")],
    as_json: JsonFlag = False,
) -> None:
    """Agreement of two coders of a project, per code family and per code."""
    from zhagen.coders import compare_coders
    from zhagen.pipeline import project_codebook

    if len(coder) != 2:
        raise UserError(f"give exactly two coders, got {len(coder)}", hint="--coder A --coder B")
    with Project.open(root) as project:
        codebook = project_codebook(project) if project.codebook_path.is_file() else None
        data = compare_coders(project, coder[0], coder[1], codebook)
    if as_json:
        print_json(data)
        return
    table = Table("family / code", "units", "agreement", "Cohen κ", "Krippendorff α", "Holsti",
                  title=f"{coder[0]} vs {coder[1]}: {data['documents']} documents, {data['units']} units")
    rows = [(f, v) for f, v in data.get("per_family", {}).items()]
    rows += [(c, {**v, "units": v["n_units"]}) for c, v in data["per_code"].items()]
    for name, v in rows:
        table.add_row(name, str(v.get("units", "")), *(_fmt(v.get(k)) for k in
                      ("percent_agreement", "cohen_kappa", "krippendorff_alpha", "holsti")))
    out.print(table)


def _fmt(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}"


@app.command()
@user_errors
def export(
    root: ProjectDir,
    target: Annotated[Path, typer.Argument(help="OUT.qdpx (whole project) or OUT.qdc (codebook), REFI-QDA.")],
    with_suggestions: Annotated[bool, typer.Option(
        "--with-suggestions",
        help="Also export unreviewed machine suggestions, marked: coded by the user '<coder> (machine suggestion)' "
        "and listed in the set 'zhagen: codes with unreviewed machine suggestions'.")] = False,
) -> None:
    """Export to REFI-QDA for NVivo, ATLAS.ti, MAXQDA, QualCoder.

    By default only reviewed work leaves: accepted codings and human codings. Rejected codings never leave.
    """
    from zhagen.exchange.refiqda import export_qdc, export_qdpx

    suffix = target.suffix.lower()
    if suffix not in {".qdpx", ".qdc"}:
        raise UserError(f"unknown export format {suffix or '(none)'}", where=str(target), hint="use .qdpx or .qdc")
    with Project.open(root) as project:
        if suffix == ".qdpx":
            counts = export_qdpx(project, target, with_suggestions=with_suggestions)
        else:
            counts = export_qdc(project, target)
    out.print(f"wrote {target}: " + ", ".join(f"{k} {v}" for k, v in counts.items() if isinstance(v, int)))
    for warning in counts.get("warnings", []):
        err.print(Text("warning: ", style="yellow") + Text(warning))


@app.command()
@user_errors
def codes(root: ProjectDir, as_json: JsonFlag = False) -> None:
    """The code tree with the number of codings per code."""
    from zhagen.store.coding import list_codes, list_codings

    with Project.open(root) as project, project.read() as session:
        tree = list_codes(session)
        counts: dict[str, int] = {}
        for coding in list_codings(session):
            if coding.status != "rejected":
                counts[coding.code_id] = counts.get(coding.code_id, 0) + 1
    rows = [{**c.__dict__, "codings": counts.get(c.id, 0)} for c in tree]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "level", "parent", "origin", "status", "codings")
    for row in rows:
        table.add_row(row["id"], f"{row['name_zh']} / {row['name_en']}", row["level"], str(row["parent_id"] or ""),
                      row["origin"], row["status"], str(row["codings"]))
    out.print(table)


@app.command()
@user_errors
def serve(
    root: ProjectDir,
    host: Annotated[str, typer.Option(help="Address to bind; other than 127.0.0.1 needs the printed token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """The local web workbench: read, code and review in the browser."""
    from zhagen.web.app import serve as serve_app

    serve_app(root, host=host, port=port)


@app.command()
@user_errors
def version() -> None:
    """Print the version."""
    out.print(__version__)


decide = typer.Typer(help="Human decisions on codes and codings (kept across re-runs; undo with 'undo').",
                     no_args_is_help=True)
app.add_typer(decide, name="decide")
CoderOption = Annotated[str | None, typer.Option(help="Who decides (default: the project's coder setting).")]


def _decide(root: Path, coder: str | None, action: Callable[[Project, str], Any], message: str) -> None:
    """Open the project, make one decision as ``coder``, print ``message`` (``{result}`` is the action's return)."""
    with Project.open(root) as project:
        result = action(project, coder or project.settings.coder)
    out.print(message.format(result=result))


@decide.command("accept")
@user_errors
def decide_accept(root: ProjectDir, coding_id: int, coder: CoderOption = None) -> None:
    """Accept a suggested coding."""
    from zhagen import decisions

    _decide(root, coder, lambda p, c: decisions.set_coding_status(p, coding_id, "accepted", coder=c),
            f"accepted coding {coding_id}")


@decide.command("reject")
@user_errors
def decide_reject(root: ProjectDir, coding_id: int, coder: CoderOption = None) -> None:
    """Reject a suggested coding."""
    from zhagen import decisions

    _decide(root, coder, lambda p, c: decisions.set_coding_status(p, coding_id, "rejected", coder=c),
            f"rejected coding {coding_id}")


@decide.command("code")
@user_errors
def decide_code(root: ProjectDir, document_id: int, start: int, end: int, code_id: str,
                coder: CoderOption = None) -> None:
    """Code the span [START, END) of a document by hand."""
    from zhagen import decisions

    _decide(root, coder, lambda p, c: decisions.add_coding(p, document_id=document_id, start=start, end=end,
                                                           code_id=code_id, coder=c), "new coding {result}")


@decide.command("rename")
@user_errors
def decide_rename(root: ProjectDir, code_id: str, name_zh: Annotated[str, typer.Option("--name-zh")],
                  name_en: Annotated[str | None, typer.Option("--name-en")] = None, coder: CoderOption = None) -> None:
    """Rename a code (concepts a1..an, categories, any code)."""
    from zhagen import decisions

    _decide(root, coder, lambda p, c: decisions.rename_code(p, code_id, name_zh=name_zh, name_en=name_en, coder=c),
            f"renamed {code_id}")


@decide.command("merge")
@user_errors
def decide_merge(root: ProjectDir, source: str, target: str, coder: CoderOption = None) -> None:
    """Merge code SOURCE into TARGET."""
    from zhagen import decisions

    _decide(root, coder, lambda p, c: decisions.merge_codes(p, source, target, coder=c),
            f"merged {source} into {target}: {{result}} codings moved")


@decide.command("split")
@user_errors
def decide_split(root: ProjectDir, code_id: str, units: Annotated[str, typer.Option(help="Unit ids, comma-separated.")],
                 name_zh: Annotated[str, typer.Option("--name-zh")], coder: CoderOption = None) -> None:
    """Move the codings of some units to a new sibling code."""
    from zhagen import decisions

    try:
        unit_ids = [int(u) for u in units.split(",") if u.strip()]
    except ValueError:
        raise UserError(f"--units must be whole numbers separated by commas, not {units!r}") from None
    _decide(root, coder, lambda p, c: decisions.split_code(p, code_id, unit_ids=unit_ids, name_zh=name_zh, coder=c),
            "new code {result}")


@decide.command("reject-code")
@user_errors
def decide_reject_code(root: ProjectDir, code_id: str, coder: CoderOption = None) -> None:
    """Reject (delete) a code; it stays in the store for the audit."""
    from zhagen import decisions

    _decide(root, coder, lambda p, c: decisions.reject_code(p, code_id, coder=c), f"rejected code {code_id}")


@decide.command("unit-class")
@user_errors
def decide_unit_class(root: ProjectDir, unit_id: int,
                      kind: Annotated[str, typer.Argument(help="substantive, or a kind of structure: heading, "
                                                          "numbering, date, byline, boilerplate, ...")],
                      coder: CoderOption = None) -> None:
    """Class a meaning unit as substantive text or document structure (wins over the rules on every run)."""
    from zhagen import decisions

    _decide(root, coder, lambda p, c: decisions.set_unit_class(p, unit_id, kind, coder=c),
            f"unit {unit_id} is now {{result}}")


@decide.command("undo")
@user_errors
def decide_undo(root: ProjectDir, coder: CoderOption = None) -> None:
    """Undo your last decision."""
    from zhagen import decisions

    _decide(root, coder, lambda p, c: decisions.undo_last(p, coder=c) or "nothing to undo", "undone: {result}")


from zhagen import cli_team  # noqa: E402  (adds `user`, `copy`, `backup` and `sample` to the app above)

cli_team.register(app)


def main() -> None:
    """Console-script entry point."""
    limit_native_threads()
    fewer_collections()
    app()


if __name__ == "__main__":
    main()
