"""Who is asking: the login of a project's people, and what each role may do.

A project without users is one researcher's: no login, every change recorded
as the ``coder`` of ``zhagen.yaml``, and (as before) only loopback requests are
answered unless ``zhagen serve`` printed an access token.  Once ``zhagen user
add`` has made a user, every page needs a login; the session cookie then holds
the user's name, every change is recorded as that user, and the role decides:
viewers read, coders code and decide, owners also import, draw samples and
adjudicate.  The user's role is read from the store on every request, so a
removed user is out at once.  CSRF protection is the app's, unchanged.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, abort, flash, g, redirect, render_template, request, session, url_for

from zhagen.project import Project
from zhagen.store import team as store_team

#: Endpoints anyone may reach (the login itself, and the static files it needs).
OPEN_ENDPOINTS = {"auth_login", "auth_login_post", "static"}
#: Endpoints (POST) that only an owner may use.
OWNER_ENDPOINTS = {"import_upload"}
#: Pages a coder with an unfinished blind sample does not see: they show machine suggestions or other coders.
UNBLINDING_ENDPOINTS = {"reader", "codes", "code_view", "search", "case", "cases", "documents", "overview",
                        "decision_log", "model", "memos"}


def install(app: Flask, project: Project) -> None:
    """Add login, logout and the per-request check of who may do what."""

    @app.before_request
    def identify() -> Response | None:
        with project.read() as s:
            has_users = store_team.user_count(s) > 0
            name = session.get("user")
            role = store_team.user_role(s, name) if has_users and name else None
            blind = store_team.open_blind_samples(s, name) if role == "coder" else []
        g.has_users = has_users
        if not has_users:
            g.coder, g.role, g.user = project.settings.coder, "owner", None
            return None
        if role is None:
            session.pop("user", None)
            if request.endpoint in OPEN_ENDPOINTS:
                g.coder, g.role, g.user = project.settings.coder, None, None
                return None
            if request.method in {"GET", "HEAD"}:
                return redirect(url_for("auth_login", next=request.full_path.rstrip("?")), code=303)
            abort(401, "log in first")
        g.coder, g.role, g.user = name, role, name
        g.blind_samples = blind
        if request.method not in {"GET", "HEAD", "OPTIONS"} and request.endpoint != "auth_logout":
            if role == "viewer":
                abort(403, "a viewer can read but not change the project")
            if role != "owner" and (request.endpoint in OWNER_ENDPOINTS or
                                    getattr(app.view_functions.get(request.endpoint or ""), "owner_only", False)):
                abort(403, "only an owner may do this")
        if blind and request.endpoint in UNBLINDING_ENDPOINTS:
            flash("you are coding a blind sample: other pages open when you have coded all its units", "ok")
            return redirect(url_for("team_sample", sample_id=blind[0]), code=303)
        return None

    @app.errorhandler(401)
    def unauthorised(exc):  # type: ignore[no-untyped-def]
        return Response(str(exc.description), status=401, mimetype="text/plain")

    @app.errorhandler(403)
    def forbidden(exc):  # type: ignore[no-untyped-def]
        return Response(str(exc.description), status=403, mimetype="text/plain")

    @app.get("/login", endpoint="auth_login")
    def login() -> str:
        return render_template("login.html", nav="login", failed=False, next=request.args.get("next", "/"))

    @app.post("/login", endpoint="auth_login_post")
    def login_post() -> Response:
        from zhagen.team.accounts import authenticate
        from zhagen.web.app import _safe_next

        name = (request.form.get("name") or "").strip()
        role = authenticate(project, name, request.form.get("password") or "")
        if role is None:
            page = render_template("login.html", nav="login", failed=True, next=request.form.get("next", "/"))
            return Response(page, status=401)
        session.clear()  # a new session on login: nothing of the anonymous one carries over
        session["user"] = name
        session["csrf"] = secrets.token_urlsafe(32)
        return redirect(_safe_next(request.form.get("next"), "/"), code=303)

    @app.post("/logout", endpoint="auth_logout")
    def logout() -> Response:
        session.clear()
        return redirect(url_for("auth_login"), code=303)


def owner_only(view):  # type: ignore[no-untyped-def]
    """Mark a view that changes things only an owner may change."""
    view.owner_only = True
    return view
