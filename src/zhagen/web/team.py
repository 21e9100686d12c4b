"""The workbench pages of team coding: samples, blind coding, progress, agreement and adjudication.

- ``/samples``: the owner draws a sample and assigns coders; everyone sees the samples they are in.
- ``/samples/<id>``: a coder codes the sample's units (in a blind sample seeing only their own answers,
  no machine suggestions and no other coder; "none" is an answer); the owner sees progress per coder.
- ``/samples/<id>/agreement``: agreement per family, per code and per coder pair before adjudication,
  the disagreements side by side, and the owner's settlement of each (consensus with a reason).
"""

from __future__ import annotations

from flask import Flask, Response, abort, flash, g, redirect, render_template, request, url_for

from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store import team as store_team
from zhagen.team import adjudication, samples
from zhagen.web.auth import owner_only


def _int(value: str | None, what: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise UserError(f"{what} must be a whole number, not {value!r}") from None


def _version(value: str | None) -> int | None:
    return None if value in (None, "") else _int(value, "the version")


def install(app: Flask, project: Project) -> None:
    """Add the team pages to the app."""

    def codes_by_family() -> list[tuple[str, list[tuple[str, str, str]]]]:
        with project.read() as s:
            rows = store_team.codable_codes(s)
        groups: dict[str, list[tuple[str, str, str]]] = {}
        for code_id, zh, en, family in rows:
            groups.setdefault(family or "other", []).append((code_id, zh, en))
        return sorted(groups.items())

    def sample_or_404(sample_id: int) -> store_team.SampleRecord:
        with project.read() as s:
            found = store_team.get_sample(s, sample_id)
        if found is None:
            abort(404, f"no sample {sample_id}")
        return found

    @app.get("/samples", endpoint="team_samples")
    def sample_list() -> str:
        with project.read() as s:
            rows = store_team.list_samples(s)
            users = store_team.list_users(s)
        if g.role != "owner":
            rows = [r for r in rows if g.coder in r.coders]
        progress = {r.id: samples.progress(project, r.id) for r in rows}
        coders = [u.name for u in users if u.role in ("coder", "owner")]
        return render_template("samples.html", nav="samples", rows=rows, progress=progress, coders=coders)

    @app.post("/samples", endpoint="team_draw")
    @owner_only
    def draw() -> Response:
        coders = request.form.getlist("coders")
        sample_id = samples.create_sample(
            project, name=request.form.get("name", ""), size=_int(request.form.get("size"), "the size"),
            seed=_int(request.form.get("seed") or "0", "the seed"), coders=coders, owner=g.coder,
            kind=request.form.get("kind", "units"), blind=request.form.get("blind", "1") == "1")
        flash(f"sample {sample_id} drawn for {', '.join(sorted(set(coders)))}", "ok")
        return redirect(url_for("team_sample", sample_id=sample_id), code=303)

    @app.get("/samples/<int:sample_id>", endpoint="team_sample")
    def sample_view(sample_id: int) -> str:
        sample = sample_or_404(sample_id)
        mine = g.coder in sample.coders
        if not mine and g.role != "owner":
            abort(403, "you are not a coder of this sample")
        with project.read() as s:
            units = store_team.sample_units(s, sample_id)
            answers = {a.unit_id: a for a in store_team.answers(s, sample_id, coder=g.coder)} if mine else {}
        return render_template("sample.html", nav="samples", sample=sample, units=units, answers=answers, mine=mine,
                               families=codes_by_family(), progress=samples.progress(project, sample_id))

    @app.post("/samples/<int:sample_id>/units/<int:unit_id>", endpoint="team_answer")
    def answer(sample_id: int, unit_id: int) -> Response:
        codes = request.form.getlist("codes")
        if not codes and request.form.get("none") != "1":
            raise UserError("choose the codes that apply, or tick 'none of these'")
        if codes and request.form.get("none") == "1":
            raise UserError("'none of these' and a code cannot both be chosen")
        samples.save_answer(project, sample_id, unit_id, coder=g.coder, codes=codes,
                            expected_version=_version(request.form.get("version")))
        flash(f"unit {unit_id}: {', '.join(sorted(codes)) or 'none'}", "ok")
        return redirect(url_for("team_sample", sample_id=sample_id) + f"#u{unit_id}", code=303)

    @app.get("/samples/<int:sample_id>/agreement", endpoint="team_agreement")
    def agreement(sample_id: int) -> str:
        sample = sample_or_404(sample_id)
        if g.role == "coder" and g.get("blind_samples"):
            abort(403, "the agreement opens to coders when they have finished their blind samples")
        figures = adjudication.sample_agreement(project, sample_id)
        return render_template("agreement.html", nav="samples", sample=sample, figures=figures,
                               disagreements=adjudication.disagreements(project, sample_id),
                               machine=adjudication.machine_vs_consensus(project, sample_id),
                               families=codes_by_family())

    @app.post("/samples/<int:sample_id>/units/<int:unit_id>/settle", endpoint="team_settle")
    @owner_only
    def settle(sample_id: int, unit_id: int) -> Response:
        adjudication.settle(project, sample_id, unit_id, codes=request.form.getlist("codes"),
                            reason=request.form.get("reason", ""), owner=g.coder,
                            expected_version=_version(request.form.get("version")))
        flash(f"unit {unit_id} settled", "ok")
        return redirect(url_for("team_agreement", sample_id=sample_id) + f"#u{unit_id}", code=303)
