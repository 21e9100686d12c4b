"""``zhagen serve``: the local web workbench (Flask, served by waitress).

Pages are rendered on the server with Jinja2; htmx (shipped in ``static/``)
swaps regions of a page after an action, and ``static/app.js`` turns a text
selection into code-point offsets.  Nothing is loaded from the network.

Every change goes through :mod:`zhagen.decisions` (or the memo functions of
:mod:`zhagen.store.views`), one transaction each, recorded with the project's
coder.  Forms carry the version of what they change, so a stale form fails
with a clear conflict message instead of overwriting someone else's change.

Safety: the server binds 127.0.0.1 by default and then answers only requests
addressed to a loopback host name (no DNS rebinding).  On any other host it
needs an access token, printed at start and checked on every request (``?token=``
once, then a cookie).  Every POST carries the session's CSRF token (hidden
field or ``X-CSRF-Token`` header) or is refused with 403.  Jinja2 escapes all
text; the coded document text is escaped in :mod:`zhagen.web.highlight`.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Flask,
    Response,
    abort,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

from zhagen import decisions
from zhagen.decisions import ConflictError
from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store import search as store_search
from zhagen.store import views
from zhagen.store.trouble import StorageTrouble
from zhagen.store.trouble import explain as explain_storage
from zhagen.units.structure import CLASSES as UNIT_CLASSES
from zhagen.units.structure import SUBSTANTIVE
from zhagen.web import graph
from zhagen.web.highlight import code_color, code_tint, render_coding_list, render_segments, segments
from zhagen.web.uploads import UploadRequest, plan_upload, upload_config
from zhagen.web.uploads import safe_filename as safe_filename  # part of this module's interface

HERE = Path(__file__).resolve().parent
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
TOKEN_COOKIE = "zhagen_token"
LEVEL_ORDER = {"core": 0, "main_category": 1, "category": 2, "concept": 3}
FAMILY_ORDER = {"pattern": 0, "force": 1, "mechanism": 2, "outcome": 3, "moderator": 4}
CHILD_LEVEL = {"core": "main_category", "main_category": "category", "category": "concept", "concept": "concept"}
ACTION_LABELS = {
    "accept_coding": "accept a coding",
    "reject_coding": "reject a coding",
    "add_coding": "code a span",
    "create_code": "create a code",
    "rename_code": "rename a code",
    "move_code": "move a code",
    "reject_code": "delete a code",
    "merge_codes": "merge codes",
    "split_code": "split a code",
    "add_memo": "write a memo",
    "update_memo": "edit a memo",
    "delete_memo": "delete a memo",
}
HTMX_CONFIG = json.dumps({
    "includeIndicatorStyles": False,
    "allowEval": False,
    "allowScriptTags": False,
    "historyCacheSize": 0,
    "selfRequestsOnly": True,
    "scrollIntoViewOnBoost": False,
    "defaultSettleDelay": 0,
})


class CsrfError(HTTPException):
    code = 403
    description = "the form's security token is missing or out of date; reload the page and try again"


# ----------------------------------------------------------------- code tree


@dataclass
class TreeNode:
    code: views.CodeRow
    children: list[TreeNode] = field(default_factory=list)
    depth: int = 0
    total: int = 0  # accepted codings of the code and all its descendants
    shown_children: list[TreeNode] = field(default_factory=list)  # what the tree page nests under it


#: Deeper than this the tree page lists descendants flat under their ancestor (the nesting is shown by
#: indentation up to here): templates nest by recursion, and a tree 5,000 codes deep must still render.
MAX_NESTING = 30


def _sort_key(code: views.CodeRow) -> tuple[Any, ...]:
    return (LEVEL_ORDER.get(code.level, 9), FAMILY_ORDER.get(code.family or "", 9), code.family or "",
            code.origin == "machine",
            _natural(code.id))


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def build_tree(codes: list[views.CodeRow], statuses: tuple[str, ...] = ("active", "suggested")) -> list[TreeNode]:
    """The code tree of the codes with these statuses (a child of a hidden parent becomes a root).

    Built without recursion, so that any depth works; a loop of parents in the
    store (which no decision makes any more) is broken at its first code."""
    shown = {c.id: TreeNode(c) for c in codes if c.status in statuses}
    roots: list[TreeNode] = []
    for node in shown.values():
        parent = shown.get(node.code.parent_id or "")
        (parent.children if parent is not None and parent is not node else roots).append(node)
    reached = _walk(roots)
    while len(reached) < len(shown):  # codes on a loop of parents: none of them is reached from a root
        stray = min((n for n in shown.values() if n.code.id not in reached), key=lambda n: _sort_key(n.code))
        parent = shown[stray.code.parent_id or ""]
        parent.children.remove(stray)
        roots.append(stray)
        reached |= _walk([stray])
    roots.sort(key=lambda n: _sort_key(n.code))
    order = flatten_unordered(roots)
    for node in order:
        node.children.sort(key=lambda n: _sort_key(n.code))
        for child in node.children:
            child.depth = node.depth + 1
    for node in reversed(flatten(roots)):
        node.total = node.code.accepted + sum(c.total for c in node.children)
        node.shown_children = node.children if node.depth < MAX_NESTING else []
        if node.depth == MAX_NESTING and node.children:
            node.shown_children = flatten(node.children)
    return roots


def _walk(roots: list[TreeNode]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.code.id not in seen:
            seen.add(node.code.id)
            stack.extend(node.children)
    return seen


def flatten_unordered(nodes: list[TreeNode]) -> list[TreeNode]:
    """Parents before their children (breadth first), without recursion."""
    result = list(nodes)
    index = 0
    while index < len(result):
        result.extend(result[index].children)
        index += 1
    return result


def flatten(nodes: list[TreeNode]) -> list[TreeNode]:
    """The nodes in tree order (each followed by its descendants), without recursion."""
    result: list[TreeNode] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        result.append(node)
        stack.extend(reversed(node.children))
    return result


class BoundedInt(IntegerConverter):
    """A whole number in a URL that fits the store's ids; a larger one is a 404, not an overflow."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


#: The largest id the store holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1


# ----------------------------------------------------------------- helpers


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine only."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_host(header: str) -> bool:
    """Whether a Host header (``name``, ``name:port``, ``[v6]`` or ``[v6]:port``) names this machine only."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?|([^:\[\]]+)(?::\d{1,5})?", header.strip())
    return match is not None and is_loopback(match.group(1) or match.group(2))


def _safe_next(value: str | None, fallback: str) -> str:
    """A same-site path to go back to (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return fallback
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return fallback
    return value


def _current_path() -> str:
    path = request.full_path
    return path[:-1] if path.endswith("?") else path


def _int(value: str | None, what: str) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise UserError(f"{what} must be a whole number, not {value!r}") from None
    if abs(number) > MAX_ID:
        raise UserError(f"{what} {number} is out of range")
    return number


def _opt_int(value: str | None) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    return _int(value, "the version")


def _parse_hl(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    match = re.fullmatch(r"(\d{1,9})-(\d{1,9})", value)
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return (start, end) if start < end else None


# ----------------------------------------------------------------- the app


def create_app(project_dir: str | os.PathLike[str], *, token: str | None = None) -> Flask:
    """The web app over one project folder.

    ``token``: when given, every request must present it (``?token=`` once, then a
    cookie); :func:`serve` passes one whenever the host is not a loopback address.
    Without a token the app answers only requests addressed to localhost.
    """
    project = Project.open(project_dir)
    app = Flask("zhagen.web", root_path=str(HERE), static_folder="static", template_folder="templates")
    app.url_map.converters["int"] = BoundedInt
    app.request_class = UploadRequest  # an upload refused as too large says which limit it met
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_NAME="zhagen_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        **upload_config(),
        TEMPLATES_AUTO_RELOAD=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    # Without a token only requests addressed to this machine are answered (against DNS rebinding). Werkzeug's
    # TRUSTED_HOSTS cannot name an IPv6 address such as [::1], so the Host header is checked in check_access.
    app.extensions["zhagen"] = project
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    results_cache = graph.ResultsCache(project.root)
    english = project.settings.language == "en"

    def code_name(code: views.CodeRow) -> str:
        if english and code.name_en:
            return code.name_en
        return code.name_zh or code.name_en or code.id

    app.jinja_env.globals.update(
        code_color=code_color, code_tint=code_tint, code_name=code_name, action_labels=ACTION_LABELS,
        doc_label=views.document_label, attribute_records=views.attribute_records, web_link=views.web_link,
        htmx_config=HTMX_CONFIG,
    )

    # ------------------------------------------------------------- security

    @app.before_request
    def check_access() -> Response | None:
        g.htmx = request.headers.get("HX-Request") == "true"
        if token is None and not loopback_host(request.headers.get("Host", "")):
            return Response("this workbench answers only addresses of this machine (localhost, 127.0.0.1, [::1])\n",
                            status=400, mimetype="text/plain")
        if token is not None:
            given = request.args.get("token")
            if given is not None and hmac.compare_digest(given.encode(), token.encode()):
                args = {k: v for k, v in request.args.items(multi=True) if k != "token"}
                target = request.path + ("?" + urlencode(args) if args else "")
                response = redirect(target, code=303)
                response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
                return response
            cookie = request.cookies.get(TOKEN_COOKIE, "")
            if not hmac.compare_digest(cookie.encode(), token.encode()):
                return Response(
                    "access token required: open the address that `zhagen serve` printed (it ends in ?token=...)\n",
                    status=403, mimetype="text/plain",
                )
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
            if not hmac.compare_digest(sent.encode(), str(session["csrf"]).encode()):
                raise CsrfError()
            origin = request.headers.get("Origin")
            if origin and origin != "null" and urlsplit(origin).netloc != request.host:
                raise CsrfError("the request came from another site")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if getattr(g, "htmx", False) and response.status_code < 300:
            messages = get_flashed_messages(with_categories=True)
            if messages:
                _add_trigger(response, [{"kind": k, "text": t} for k, t in messages])
        return response

    def _add_trigger(response: Response, messages: list[dict[str, str]]) -> None:
        response.headers["HX-Trigger"] = json.dumps({"zhagen:flash": {"messages": messages}}, ensure_ascii=True)

    @app.context_processor
    def common() -> dict[str, Any]:
        last = None
        if not g.get("storage_trouble"):  # the error page for a store that cannot be read must not read it
            with project.read() as s:
                last = views.last_decision(s, g.get("coder", project.settings.coder))
        return {
            "project_name": project.settings.name,
            "csrf_token": session.get("csrf", ""),
            "coder": g.get("coder", project.settings.coder),
            "role": g.get("role"),
            "user": g.get("user"),
            "last_decision": last,
            "here": _current_path(),
            "htmx": getattr(g, "htmx", False),
        }

    # ------------------------------------------------------------- errors

    def _fail(message: str, status: int) -> Response:
        if getattr(g, "htmx", False):
            response = Response(message, status=status, mimetype="text/plain")
            _add_trigger(response, [{"kind": "error", "text": message}])
            return response
        try:
            sent_next = request.form.get("next")
        except Exception:  # noqa: BLE001 - a body too large to read
            sent_next = None
        referrer = urlsplit(request.referrer)._replace(scheme="", netloc="").geturl() if request.referrer else "/"
        html = render_template("error.html", message=message, status=status, back=_safe_next(sent_next, referrer))
        return Response(html, status=status)

    @app.errorhandler(ConflictError)
    def conflict(exc: ConflictError) -> Response:
        return _fail(exc.one_line(), 409)

    @app.errorhandler(UserError)
    def user_error(exc: UserError) -> Response:
        return _fail(exc.one_line(), 400)

    @app.errorhandler(CsrfError)
    def csrf_error(exc: CsrfError) -> Response:
        return _fail(str(exc.description), 403)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response:
        return _fail(str(exc.description), 413)  # the reason: see UploadRequest.too_large_reason

    @app.errorhandler(StorageTrouble)
    @app.errorhandler(SQLAlchemyError)
    @app.errorhandler(OSError)  # a missing driver fails at start, in `zhagen serve` (one line there)
    def storage_trouble(exc: Exception) -> Response:
        """A store that cannot be used (damaged, locked, full, server gone): one line and 503 (507 when full),
        never a 500; nothing was written, since every change is one transaction."""
        problem = exc if isinstance(exc, StorageTrouble) else explain_storage(exc)
        if problem is None:
            raise exc  # a bug: a 500, with its traceback in the server's log
        g.storage_trouble = True
        response = _fail(problem.one_line(), 507 if problem.full else 503)
        if problem.temporary:
            response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(404)
    def not_found(exc: HTTPException) -> Response:
        return _fail(str(exc.description or "not found"), 404)

    def done(message: str, fallback: str) -> Response:
        """After a change: say what happened and go back where the form came from."""
        flash(message, "ok")
        return redirect(_safe_next(request.form.get("next"), fallback), code=303)

    def shown_path(path: Path | None) -> str | None:
        """A results file as the researcher knows it: relative to the project folder."""
        if path is None:
            return None
        try:
            return path.relative_to(project.root).as_posix()
        except ValueError:
            return str(path)

    def read(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with project.read() as s:
            return fn(s, *args, **kwargs)

    def all_codes() -> tuple[list[views.CodeRow], dict[str, views.CodeRow]]:
        rows = read(views.code_rows)
        return rows, {c.id: c for c in rows}

    # ------------------------------------------------------------- overview

    @app.get("/")
    def overview() -> str:
        with project.read() as s:
            counts = views.overview_counts(s)
            runs = views.recent_runs(s, 5)
            recent = views.recent_decisions(s, 8)
            project_memos = views.memos(s, target_type="project")
        results, results_path = results_cache.get()
        return render_template("overview.html", nav="overview", counts=counts, runs=runs, recent=recent,
                               results=results, results_path=shown_path(results_path), glance=_glance(results),
                               memos=project_memos)

    # ------------------------------------------------------------- documents and cases

    def _attribute_filters() -> dict[str, str]:
        return {k[2:]: v for k, v in request.args.items() if k.startswith("a:") and v}

    @app.get("/documents")
    def documents() -> str:
        attrs = _attribute_filters()
        case_id = request.args.get("case") or None
        language = request.args.get("lang") or None
        title = request.args.get("q") or None
        with project.read() as s:
            rows = views.document_rows(s, case_id=case_id, language=language, attributes=attrs, title=title)
            cases = views.case_ids(s)
            langs = views.languages(s)
            attribute_values = views.case_attribute_values(s)
        pages = max(1, -(-len(rows) // DOCUMENTS_PER_PAGE))
        page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
        shown = rows[(page - 1) * DOCUMENTS_PER_PAGE : page * DOCUMENTS_PER_PAGE]
        query = {k: v for k, v in request.args.items() if k != "page" and v}  # the filters, for the pager's links
        return render_template("documents.html", nav="documents", rows=shown, total=len(rows), page=page,
                               pages=pages, first=(page - 1) * DOCUMENTS_PER_PAGE + 1, query=query, cases=cases,
                               langs=langs, attribute_values=_filterable(attribute_values), attrs=attrs,
                               case_id=case_id, language=language, title=title)

    @app.get("/cases")
    def cases() -> str:
        attrs = _attribute_filters()
        with project.read() as s:
            rows = views.case_rows(s, attributes=attrs)
            attribute_values = views.case_attribute_values(s)
        names = [n for n, values in attribute_values.items()  # short attributes only; the rest is on a case's page
                 if n not in {"title", "title_en"} and not n.endswith("_en") and max(map(len, values)) <= 40][:8]
        return render_template("cases.html", nav="cases", rows=rows, names=names,
                               attribute_values=_filterable(attribute_values), attrs=attrs)

    @app.get("/cases/<case_id>")
    def case(case_id: str) -> str:
        with project.read() as s:
            found = [c for c in views.case_rows(s) if c.id == case_id]
            if not found:
                abort(404, f"no case {case_id!r}")
            docs = views.document_rows(s, case_id=case_id)
            memo_rows = views.memos(s, target_type="case", target_id=case_id)
        return render_template("case.html", nav="cases", case=found[0], docs=docs, memos=memo_rows)

    # ------------------------------------------------------------- reader

    @app.get("/documents/<int:doc_id>")
    def reader(doc_id: int) -> str:
        highlight = _parse_hl(request.args.get("hl"))
        with project.read() as s:
            doc = views.document_view(s, doc_id)
            if doc is None:
                abort(404, f"no document {doc_id}")
            codings = views.document_codings(s, doc_id)
            units = views.document_units(s, doc_id)
            prev_id, next_id = views.neighbour_documents(s, doc_id)
            memo_rows = views.memos(s, target_type="document", target_id=str(doc_id))
        code_list, code_map = all_codes()
        names = {c.id: (code_name(c), c.color) for c in code_list}
        html = render_segments(doc.text, segments(doc.text, codings, highlight), names)
        panel = render_coding_list(doc.text, codings, names)
        tree = flatten(build_tree(code_list))
        in_doc: dict[str, int] = {}
        for c in codings:
            if c.status == "accepted":
                in_doc[c.code_id] = in_doc.get(c.code_id, 0) + 1
        legend = sorted(in_doc.items(), key=lambda kv: (-kv[1], kv[0]))
        status_counts = {st: sum(1 for c in codings if c.status == st) for st in ("accepted", "suggested", "rejected")}
        return render_template(
            "reader.html", nav="documents", doc=doc, text_html=html, panel_html=panel, codings=codings, code_map=code_map,
            tree=tree, prev_id=prev_id, next_id=next_id, memos=memo_rows, legend=legend,
            status_counts=status_counts, n_chars=len(doc.text), highlight=highlight, units=units,
            structure=[u for u in units if u.structure], unit_classes=UNIT_CLASSES,
        )

    @app.post("/units/class")
    def unit_class() -> Response:
        """A researcher's class for a unit (substantive, or a kind of structure), over the rules: a decision,
        logged and undoable; the next open-coding run codes with it."""
        unit_id = _int(request.form.get("unit"), "the unit")
        kind = (request.form.get("kind") or "").strip()
        with project.read() as s:
            document_id = views.unit_document(s, unit_id)
        if document_id is None:
            raise UserError(f"no meaning unit {unit_id}", hint="it may have been removed with its document; reload")
        decisions.set_unit_class(project, unit_id, kind, coder=g.coder)
        shown = "substantive text" if kind == SUBSTANTIVE else f"structure ({kind})"
        return done(f"unit {unit_id} is {shown} from the next run of zhagen code on",
                    url_for("reader", doc_id=document_id))

    @app.post("/documents/<int:doc_id>/codings")
    def add_coding(doc_id: int) -> Response:
        start = _int(request.form.get("start"), "the start of the span")
        end = _int(request.form.get("end"), "the end of the span")
        with project.read() as s:
            doc = views.document_view(s, doc_id)
        if doc is None:
            abort(404, f"no document {doc_id}")
        if not 0 <= start < end <= len(doc.text):
            raise UserError(f"span [{start}, {end}) is outside document {doc_id} (length {len(doc.text)})")
        while start < end and doc.text[start].isspace():  # leave out white space at either end
            start += 1
        while end > start and doc.text[end - 1].isspace():
            end -= 1
        if start == end:
            raise UserError("the selection is only white space", hint="select some text to code")
        new_name = (request.form.get("new_code") or "").strip()
        code_id = (request.form.get("code_id") or "").strip()
        if new_name:
            code_id = decisions.create_code(project, name_zh=new_name, name_en=new_name if english else "",
                                            coder=g.coder)
        if not code_id:
            raise UserError("choose a code, or type the name of a new one")
        decisions.add_coding(project, document_id=doc_id, start=start, end=end, code_id=code_id, coder=g.coder)
        with project.read() as s:
            label = _label(s, code_id)
        return done(f"coded [{start}, {end}) as {label}", url_for("reader", doc_id=doc_id))

    @app.post("/codings/<int:coding_id>/status")
    def coding_status(coding_id: int) -> Response:
        status = request.form.get("status", "")
        version = _opt_int(request.form.get("version"))
        with project.read() as s:
            coding = views.coding_view(s, coding_id)
        if coding is None:
            raise UserError(f"no coding {coding_id}", hint="it may have been removed by a re-run; reload")
        decisions.set_coding_status(project, coding_id, status, coder=g.coder, expected_version=version)
        with project.read() as s:
            label = _label(s, coding.code_id)
        verb = {"accepted": "accepted", "rejected": "rejected"}.get(status, status)
        return done(f"{verb} {label} at [{coding.start}, {coding.end})",
                    url_for("reader", doc_id=coding.document_id))

    def _label(s: Any, code_id: str) -> str:
        row = views.code_row(s, code_id)
        return f"{code_name(row)} ({code_id})" if row is not None else code_id

    # ------------------------------------------------------------- codes

    @app.get("/codes")
    def codes() -> str:
        code_list, code_map = all_codes()
        tree = build_tree(code_list)
        human = [n for n in tree if n.code.origin != "machine"]
        machine = [n for n in tree if n.code.origin == "machine"]
        gone = sorted((c for c in code_list if c.status not in {"active", "suggested"}), key=_sort_key)
        return render_template("codes.html", nav="codes", tree=human, machine=machine, gone=gone,
                               options=flatten(tree), code_map=code_map)

    @app.post("/codes")
    def create_code() -> Response:
        parent_id = (request.form.get("parent_id") or "").strip() or None
        code_map = all_codes()[1]
        if parent_id is not None and parent_id not in code_map:
            raise UserError(f"no code {parent_id!r} to put the new code under")
        level = CHILD_LEVEL.get(code_map[parent_id].level, "concept") if parent_id else "category"
        new_id = decisions.create_code(project, name_zh=request.form.get("name_zh", ""),
                                       name_en=request.form.get("name_en", ""), parent_id=parent_id, level=level,
                                       coder=g.coder)
        return done(f"created code {request.form.get('name_zh', '').strip()} ({new_id})", url_for("codes"))

    def _code_or_404(code_id: str) -> views.CodeRow:
        found = read(views.code_row, code_id)
        if found is None:
            abort(404, f"no code {code_id!r}")
        return found

    @app.get("/codes/<code_id>")
    def code_view(code_id: str) -> str:
        code_list, code_map = all_codes()
        code = code_map.get(code_id)
        if code is None:
            abort(404, f"no code {code_id!r}")
        nodes = {n.code.id: n for n in flatten(build_tree(code_list, ("active", "suggested", "rejected", "merged")))}
        node = nodes[code_id]
        with_sub = request.args.get("sub") == "1"
        ids = [n.code.id for n in flatten([node])] if with_sub else [code_id]
        statuses = ("accepted", "suggested", "rejected") if request.args.get("rejected") == "1" else (
            "accepted", "suggested")
        with project.read() as s:
            quotes = views.code_quotes(s, ids, statuses=statuses)
            shown_all = len(quotes) < views.QUOTES_SHOWN
            total = len(quotes) if shown_all else views.code_quote_count(s, ids, statuses=statuses)
            memo_rows = views.memos(s, target_type="code", target_id=code_id)
        ancestors = []
        parent = code_map.get(code.parent_id or "")
        while parent is not None and parent not in ancestors:
            ancestors.insert(0, parent)
            parent = code_map.get(parent.parent_id or "")
        return render_template("code.html", nav="codes", code=code, node=node, quotes=quotes, total=total,
                               memos=memo_rows, ancestors=ancestors, code_map=code_map, with_sub=with_sub,
                               show_rejected=request.args.get("rejected") == "1")

    @app.post("/codes/<code_id>/rename")
    def rename_code(code_id: str) -> Response:
        old = _code_or_404(code_id)
        name_en = request.form.get("name_en")
        decisions.rename_code(project, code_id, name_zh=request.form.get("name_zh", ""), name_en=name_en,
                              coder=g.coder, expected_version=_opt_int(request.form.get("version")))
        return done(f"renamed {code_name(old)} to {request.form.get('name_zh', '').strip()}", url_for("codes"))

    @app.post("/codes/<code_id>/move")
    def move_code(code_id: str) -> Response:
        _code_or_404(code_id)
        parent_id = (request.form.get("parent_id") or "").strip() or None
        decisions.move_code(project, code_id, parent_id=parent_id, coder=g.coder,
                            expected_version=_opt_int(request.form.get("version")))
        return done(f"moved {code_id} under {parent_id or 'the top level'}", url_for("codes"))

    @app.post("/codes/<code_id>/merge")
    def merge_code(code_id: str) -> Response:
        code = _code_or_404(code_id)
        target = (request.form.get("target") or "").strip()
        expected = _opt_int(request.form.get("version"))
        if expected is not None and expected != code.version:
            raise ConflictError(
                f"code {code_id} was changed by someone else (version {code.version}, you saw {expected})",
                hint="reload to see the current state, then decide again",
            )
        moved = decisions.merge_codes(project, code_id, target, coder=g.coder)
        return done(f"merged {code_id} into {target} ({moved} codings moved)", url_for("codes"))

    @app.post("/codes/<code_id>/delete")
    def delete_code(code_id: str) -> Response:
        code = _code_or_404(code_id)
        decisions.reject_code(project, code_id, coder=g.coder, expected_version=_opt_int(request.form.get("version")))
        return done(f"deleted code {code_name(code)} ({code_id}); undo brings it back", url_for("codes"))

    # ------------------------------------------------------------- memos

    @app.get("/memos")
    def memos() -> str:
        kind = request.args.get("kind") or None
        with project.read() as s:
            rows = views.memos(s, target_type=kind)
            titles = views.document_titles(s, [int(m.target_id) for m in rows
                                               if m.target_type == "document" and (m.target_id or "").isdigit()])
        code_map = all_codes()[1]
        return render_template("memos.html", nav="memos", rows=rows, kind=kind, titles=titles, code_map=code_map)

    @app.post("/memos")
    def add_memo() -> Response:
        target_type = request.form.get("target_type", "project")
        views.add_memo(project, target_type=target_type, target_id=request.form.get("target_id") or None,
                       text=request.form.get("text", ""), title=request.form.get("title", ""), coder=g.coder)
        return done("memo saved", url_for("memos"))

    @app.post("/memos/<int:memo_id>")
    def update_memo(memo_id: int) -> Response:
        views.update_memo(project, memo_id, text=request.form.get("text", ""), title=request.form.get("title", ""),
                          coder=g.coder, expected=request.form.get("stamp") or None)
        return done("memo updated", url_for("memos"))

    @app.post("/memos/<int:memo_id>/delete")
    def delete_memo(memo_id: int) -> Response:
        views.delete_memo(project, memo_id, coder=g.coder, expected=request.form.get("stamp") or None)
        return done("memo deleted; undo brings it back", url_for("memos"))

    # ------------------------------------------------------------- undo and the log

    @app.post("/undo")
    def undo() -> Response:
        action = decisions.undo_last(project, coder=g.coder)
        if action is None:
            flash("nothing to undo", "ok")
            return redirect(_safe_next(request.form.get("next"), url_for("overview")), code=303)
        return done(f"undone: {ACTION_LABELS.get(action, action)}", url_for("overview"))

    @app.get("/decisions")
    def decision_log() -> str:
        rows = read(views.recent_decisions, 500)
        return render_template("decisions.html", nav="decisions", rows=rows)

    # ------------------------------------------------------------- path model

    @app.get("/model")
    def model() -> str:
        results, path = results_cache.get()
        path_model = ((results or {}).get("selective_coding") or {}).get("path_model")
        declared = ((results or {}).get("study") or {}).get("declarations") or {}
        lay = graph.layout(path_model, declared.get("layers")) if path_model else None
        selected = request.args.get("edge")
        edge = None
        evidence: list[dict[str, Any]] = []
        titles: dict[int, tuple[str | None, str | None]] = {}
        if lay is not None and selected is not None and selected.isdigit():
            index = int(selected)
            edges = path_model.get("edges", []) if path_model else []
            if 0 <= index < len(edges):
                edge = edges[index]
                evidence = [q for q in edge.get("evidence") or [] if isinstance(q, dict)]
                titles = read(views.document_titles, [int(q["document"]) for q in evidence if "document" in q])
        nodes = {n.id: n for n in lay.nodes} if lay else {}
        return render_template("model.html", nav="model", layout=lay, results=results, results_path=shown_path(path),
                               edge=edge, edge_index=int(selected) if edge is not None else None,
                               evidence=evidence, titles=titles, nodes=nodes, kinds=graph.KIND_COLORS,
                               node_w=graph.NODE_W, node_h=graph.NODE_H,
                               sketch=(path_model or {}).get("sketch_check") or {})

    # ------------------------------------------------------------- search

    @app.get("/search")
    def search() -> str:
        query = (request.args.get("q") or "").strip()
        case_id = request.args.get("case") or None
        language = request.args.get("lang") or None
        hits: list[store_search.Hit] = []
        total = 0
        if query:
            hits, total = store_search.search(project, query, case_id=case_id, language=language)
        groups: dict[int, list[store_search.Hit]] = {}
        for hit in hits:
            groups.setdefault(hit.document_id, []).append(hit)
        with project.read() as s:
            case_list = views.case_ids(s)
            langs = views.languages(s)
        return render_template("search.html", nav="search", query=query, groups=groups, total=total,
                               shown=len(hits), cases=case_list, langs=langs, case_id=case_id, language=language,
                               pieces=_pieces)

    # ------------------------------------------------------------- import

    @app.get("/import")
    def import_form() -> str:
        return render_template("import.html", nav="import", report=None, cases=read(views.case_ids))

    @app.post("/import")
    def import_upload() -> str:
        from zhagen.corpus.importer import import_sources

        if not (request.form.get("case") or "").strip():
            raise UserError("give the case the files belong to", hint="a new or an existing case id")
        files = [f for f in request.files.getlist("files") if f and f.filename]
        if not files:
            raise UserError("choose one or more files to import")
        plan = plan_upload(request.form["case"], files)
        with tempfile.TemporaryDirectory(prefix="zhagen-upload-") as tmp:
            folder = Path(tmp) / plan.case_id
            folder.mkdir()
            for upload, name, _source in plan.files:
                upload.save(folder / name)
            report = import_sources(project, [folder], shown_as=lambda p: plan.source_of(p.name)).to_dict()
        prefix = str(folder) + os.sep
        for failure in (*report["failed"], *report["warnings"]):
            failure["source"] = failure["source"].replace(prefix, "")
            failure["reason"] = failure["reason"].replace(prefix, "")
        for item in report["documents"]:
            item["source"] = item["source"].replace(prefix, "")
        report["notices"] = plan.notices
        skipped = plan.skipped
        report["failed"].extend(skipped)
        status = 200 if not report["failed"] else 422
        page = render_template("import.html", nav="import", report=report, cases=read(views.case_ids))
        return Response(page, status=status)  # type: ignore[return-value]

    from zhagen.web import auth, team

    auth.install(app, project)  # who is asking (g.coder, g.role): a login once the project has users
    team.install(app, project)  # samples, blind coding, agreement and adjudication
    return app


# ----------------------------------------------------------------- page helpers

#: Rows of the document list on one page: a corpus of thousands stays quick to load and to read.
DOCUMENTS_PER_PAGE = 200


def _filterable(values: dict[str, list[str]]) -> dict[str, list[str]]:
    """Attributes worth a drop-down filter: a few short distinct values, not free text or translations."""
    return {
        k: v for k, v in values.items()
        if 1 < len(v) <= 40 and max(len(x) for x in v) <= 40 and k not in {"title", "title_en"}
        and not k.endswith("_en")
    }


def _pieces(text: str, matches: tuple[tuple[int, int], ...]) -> list[tuple[str, bool]]:
    """Text cut into (piece, is_match) for rendering search hits."""
    result = []
    at = 0
    for s, e in matches:
        if s > at:
            result.append((text[at:s], False))
        result.append((text[s:e], True))
        at = e
    if at < len(text):
        result.append((text[at:], False))
    return result


def _glance(results: dict[str, Any] | None) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Saturation, reliability and the study check, if the results have them, as (title, [(name, value)])."""
    if not results:
        return []
    found = []
    for key, title in (("study_check", "pattern agreement with the team's labels"), ("saturation", "saturation"),
                       ("reliability", "reliability"), ("agreement", "inter-coder agreement")):
        value = results.get(key)
        if isinstance(value, dict):
            items = [(k, v) for k, v in value.items() if isinstance(v, (int, float, str, bool)) or v is None]
            if items:
                found.append((title, items[:10]))
        elif isinstance(value, (int, float, str)):
            found.append((title, [(key, value)]))
    return found


@contextmanager
def serving(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> Iterator[str]:
    """Serve ``app`` with waitress in a background thread (tests, benchmarks); yields the base URL.

    The loop runs one short poll at a time and checks a stop flag between polls, so the sockets are closed only
    after the loop thread has left ``select``: closing them under a running ``select`` fails with EBADF.
    """
    from waitress import wasyncore
    from waitress.server import create_server

    server = create_server(app, host=host, port=port, threads=threads, ident="zhagen")
    sockets = server._map  # type: ignore[union-attr]
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set() and sockets:
            wasyncore.loop(timeout=0.05, map=sockets, count=1)

    thread = threading.Thread(target=loop, name="zhagen-web", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"  # type: ignore[union-attr]
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
        for channel in list(sockets.values()):
            channel.close()
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]


def serve(project_dir: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the workbench until interrupted; off loopback, with an access token printed at start."""
    import waitress

    token = None if is_loopback(host) else secrets.token_urlsafe(24)
    app = create_app(project_dir, token=token)
    project: Project = app.extensions["zhagen"]
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    url = f"http://{shown}:{port}/"
    if token is not None:
        url += f"?token={token}"
        print(f"zhagen: serving on {host}, which other machines can reach: the address below carries the access "
              "token; share it only with people who may change this project.", flush=True)
    print(f"zhagen: {project.settings.name} at {url}  (Ctrl+C to stop)", flush=True)
    try:
        waitress.serve(app, host=host, port=port, threads=6, ident="zhagen", clear_untrusted_proxy_headers=True,
                       _quiet=True)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                        hint="is another zhagen serve running? choose another --port") from exc
    finally:
        project.close()
