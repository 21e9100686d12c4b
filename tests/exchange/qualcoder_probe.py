"""Run QualCoder's own REFI-QDA project importer headless and print what it stored, as JSON.

Usage: python qualcoder_probe.py QUALCODER_SRC ARCHIVE.qdpx WORKDIR

QUALCODER_SRC is the ``src`` folder of a QualCoder checkout (QualCoder is not
published as a package).  Only PyQt6 is needed besides it: QualCoder's
``helpers`` module (which pulls in PyMuPDF, Pillow and VLC for other dialogs)
is replaced by a stand-in whose message box does nothing, and the file dialog
answers with ARCHIVE.  The SQLite tables the importer writes to are created as
QualCoder's new-project code creates them (names, columns, unique constraints).
Runs with ``QT_QPA_PLATFORM=offscreen``; prints one JSON object on stdout.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import sqlite3
import sys
import types
from pathlib import Path

# The tables RefiImport writes to, with the unique constraints QualCoder's projects have.
SCHEMA = """
CREATE TABLE project (databaseversion text, date text, memo text, about text, bookmarkfile integer,
  bookmarkpos integer, codername text, recently_used_codes text, avbookmarkfile integer, avbookmarkmsec integer,
  avbookmarktextpos integer);
CREATE TABLE source (id integer primary key, name text, fulltext text, mediapath text, memo text, owner text,
  date text, av_text_id integer, risid integer, unique(name));
CREATE TABLE code_image (imid integer primary key, id integer, x1 integer, y1 integer, width integer,
  height integer, cid integer, memo text, date text, owner text, important integer, pdf_page integer);
CREATE TABLE code_av (avid integer primary key, id integer, pos0 integer, pos1 integer, cid integer, memo text,
  date text, owner text, important integer);
CREATE TABLE annotation (anid integer primary key, fid integer, pos0 integer, pos1 integer, memo text, owner text,
  date text, unique(fid, pos0, pos1, owner));
CREATE TABLE attribute_type (name text primary key, date text, owner text, memo text, caseOrFile text,
  valuetype text);
CREATE TABLE attribute (attrid integer primary key, name text, attr_type text, value text, id integer, date text,
  owner text, unique(name, attr_type, id));
CREATE TABLE case_text (id integer primary key, caseid integer, fid integer, pos0 integer, pos1 integer,
  owner text, date text, memo text);
CREATE TABLE cases (caseid integer primary key, name text, memo text, owner text, date text, unique(name));
CREATE TABLE code_cat (catid integer primary key, name text, owner text, date text, memo text,
  supercatid integer, unique(name));
CREATE TABLE code_text (ctid integer primary key, cid integer, fid integer, seltext text, pos0 integer,
  pos1 integer, owner text, date text, memo text, avid integer, important integer,
  unique(cid, fid, pos0, pos1, owner));
CREATE TABLE code_name (cid integer primary key, name text, memo text, catid integer, owner text, date text,
  color text, supercid integer, unique(name));
CREATE TABLE journal (jid integer primary key, name text, jentry text, date text, owner text, unique(name));
INSERT INTO project (databaseversion, memo) VALUES ('v11', '');
"""


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def append(self, text: str) -> None:
        self.lines.append(str(text))


class _Message:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def exec(self) -> int:
        return 0


def _app(workdir: Path) -> types.SimpleNamespace:
    project = workdir / "probe.qda"
    (project / "documents").mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(project / "data.qda")
    conn.executescript(SCHEMA)
    return types.SimpleNamespace(
        conn=conn, project_path=str(project), ai_models=[], project_events=None,
        settings={"directory": str(workdir), "codername": "default", "ai_enable": "False"},
        write_config_ini=lambda *args: None,
    )


def _rows(conn: sqlite3.Connection, sql: str) -> list[list[object]]:
    return [list(row) for row in conn.execute(sql)]


def main(src: str, archive: str, workdir: str) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    builtins._ = lambda text: text  # type: ignore[attr-defined]
    sys.path.insert(0, src)
    from PyQt6 import QtWidgets

    qt = QtWidgets.QApplication([])
    sys.modules["qualcoder.helpers"] = types.SimpleNamespace(Message=_Message)  # type: ignore[assignment]
    QtWidgets.QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (archive, True))  # type: ignore[method-assign]
    app = _app(Path(workdir))
    log = _Log()
    with contextlib.redirect_stdout(sys.stderr):  # QualCoder prints its progress
        from qualcoder import refi

        refi.RefiImport(app, log, "qdpx")
    conn = app.conn
    print(json.dumps({
        "sources": _rows(conn, "select name, length(fulltext), memo, owner from source order by name"),
        "codes": _rows(conn, "select c.name, c.memo, c.color, p.name from code_name c "
                             "left join code_name p on p.cid = c.supercid order by c.name"),
        "categories": _rows(conn, "select name, memo from code_cat order by name"),
        "codings": _rows(conn, "select c.name, s.name, t.pos0, t.pos1, t.seltext, t.owner, t.memo from code_text t "
                               "join code_name c on c.cid = t.cid join source s on s.id = t.fid "
                               "order by s.name, t.pos0, t.pos1, c.name, t.owner"),
        "codings_without_code": _rows(conn, "select count(*) from code_text where cid is null")[0][0],
        "cases": _rows(conn, "select name, memo from cases order by name"),
        "case_sources": _rows(conn, "select c.name, s.name from case_text t join cases c on c.caseid = t.caseid "
                                    "join source s on s.id = t.fid order by c.name, s.name"),
        "attributes": _rows(conn, "select a.name, a.value, a.attr_type, coalesce(c.name, s.name) from attribute a "
                                  "left join cases c on a.attr_type = 'case' and c.caseid = a.id "
                                  "left join source s on a.attr_type = 'file' and s.id = a.id "
                                  "order by a.attr_type, a.name, a.id"),
        "journals": _rows(conn, "select name, jentry, owner, date from journal order by name"),
        "annotations": _rows(conn, "select fid, pos0, pos1, memo from annotation"),
        "project_memo": _rows(conn, "select memo from project")[0][0],
        "log": log.lines,
    }, ensure_ascii=False))
    qt.quit()


if __name__ == "__main__":
    main(*sys.argv[1:4])
