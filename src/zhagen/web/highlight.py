"""Coded text as HTML: segments from the coding boundaries, colours of codes.

Codings may overlap and nest in any way.  The text is cut at every boundary
(every start and end of a coding, and of the highlighted span if any), so each
segment is covered by the same set of codings from its start to its end, and is
rendered as one ``<span class="seg" data-s=START data-e=END>`` (the panel finds
the codings of a clicked segment from their own offsets).  ``data-s`` and
``data-e`` are code-point offsets into the document text; the browser turns a
selection into offsets from them (see ``static/app.js``).  All text and every
attribute value is escaped here.
"""

from __future__ import annotations

import zlib
from urllib.parse import quote as quote_url
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from zhagen.store.views import CodingView

MAX_BARS = 5
MAX_TITLE = 6
VISIBLE = ("accepted", "suggested")


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    codings: tuple[CodingView, ...]  # outermost first (earlier start, then longer)
    highlighted: bool = False


def code_hue(code_id: str, color: str | None = None) -> int:
    """A stable hue for a code (from its id), unless the code has a colour of its own."""
    if color and color.startswith("#") and len(color) in (7, 9):
        r, g, b = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
        hi, lo = max(r, g, b), min(r, g, b)
        if hi == lo:
            return 0
        d = hi - lo
        h = ((g - b) / d) % 6 if hi == r else ((b - r) / d + 2 if hi == g else (r - g) / d + 4)
        return int(h * 60) % 360
    return (zlib.crc32(code_id.encode("utf-8")) * 47) % 360


def code_color(code_id: str, color: str | None = None) -> str:
    """The strong colour of a code (chips, bars, outlines)."""
    if color and color.startswith("#") and len(color) in (7, 9):
        return color[:7]
    return f"hsl({code_hue(code_id)} 62% 42%)"


def code_tint(code_id: str, color: str | None = None) -> str:
    """The light background colour of text coded with a code."""
    return f"hsl({code_hue(code_id, color)} 80% 55% / 0.26)"


def segments(text: str, codings: Iterable[CodingView], highlight: tuple[int, int] | None = None) -> list[Segment]:
    """Cut ``text`` at every coding boundary; each segment lists the visible codings covering it."""
    n = len(text)
    visible = sorted(
        (c for c in codings if c.status in VISIBLE and 0 <= c.start < c.end <= n),
        key=lambda c: (c.start, -c.end, c.id),
    )
    bounds = {0, n}
    for c in visible:
        bounds.add(c.start)
        bounds.add(c.end)
    hl = None
    if highlight is not None:
        hs, he = max(0, highlight[0]), min(n, highlight[1])
        if hs < he:
            hl = (hs, he)
            bounds.update(hl)
    points = sorted(bounds)
    result: list[Segment] = []
    active: list[CodingView] = []
    i = 0
    for a, b in zip(points, points[1:]):
        if active:
            active = [c for c in active if c.end > a]
        while i < len(visible) and visible[i].start <= a:
            if visible[i].end > a:
                active.append(visible[i])
            i += 1
        result.append(Segment(a, b, tuple(active), hl is not None and hl[0] <= a and b <= hl[1]))
    if not result:
        result.append(Segment(0, 0, ()))
    return result


def _innermost(codings: Sequence[CodingView]) -> CodingView:
    return min(codings, key=lambda c: (c.end - c.start, -c.start, c.id))


def render_segments(
    text: str, segs: Sequence[Segment], codes: Mapping[str, tuple[str, str | None]]
) -> Markup:
    """The HTML of the coded text; ``codes`` maps a code id to (display name, colour)."""
    out: list[str] = []
    for seg in segs:
        piece = escape(text[seg.start:seg.end])
        attrs = [f'data-s="{seg.start}" data-e="{seg.end}"']
        classes = ["seg"]
        if seg.highlighted:
            classes.append("hl")
        if seg.codings:
            accepted = [c for c in seg.codings if c.status == "accepted"]
            suggested = [c for c in seg.codings if c.status == "suggested"]
            styles = []
            if accepted:
                classes.append("coded")
                inner = _innermost(accepted)
                styles.append(f"background-color:{code_tint(inner.code_id, codes.get(inner.code_id, ('', None))[1])}")
                bars = [
                    f"inset 0 -{3 * (k + 1)}px 0 {code_color(c.code_id, codes.get(c.code_id, ('', None))[1])}"
                    for k, c in enumerate(accepted[:MAX_BARS])
                ]
                styles.append("box-shadow:" + ",".join(bars))
                if len(accepted) > 1:
                    classes.append(f"n{min(len(accepted), MAX_BARS)}")
            if suggested:
                classes.append("sug")
                first = _innermost(suggested)
                styles.append(f"--sc:{code_color(first.code_id, codes.get(first.code_id, ('', None))[1])}")
            names = [
                codes.get(c.code_id, (c.code_id, None))[0] + ("" if c.status == "accepted" else " (suggested)")
                for c in seg.codings[:MAX_TITLE]
            ]
            if len(seg.codings) > MAX_TITLE:
                names.append(f"and {len(seg.codings) - MAX_TITLE} more")
            attrs.append(f'title="{escape("; ".join(names))}"')
            attrs.append(f'style="{escape(";".join(styles))}"')
        out.append(f'<span class="{" ".join(classes)}" {" ".join(attrs)}>{piece}</span>')
    return Markup("".join(out))


_BUTTONS = {
    "suggested": (("accepted", "Accept", "ok"), ("rejected", "Reject", "no")),
    "accepted": (("rejected", "Remove", "no quiet"),),
    "rejected": (("accepted", "Restore", "quiet"),),
}


def render_coding_list(
    text: str, codings: Sequence[CodingView], codes: Mapping[str, tuple[str, str | None]], excerpt: int = 90
) -> Markup:
    """The reader's panel entries, one ``<li>`` per coding, with accept / reject / remove buttons.

    Built here rather than in a template because a busy document has hundreds of
    codings; the HTML of a code (chip and name) is made once per code.
    """
    code_html: dict[str, str] = {}
    out: list[str] = []
    for c in codings:
        head = code_html.get(c.code_id)
        if head is None:
            name, color = codes.get(c.code_id, (c.code_id, None))
            head = (f'<a class="code" href="/codes/{escape(quote_url(c.code_id, safe=""))}"><span class="chip" style="background:'
                    f'{escape(code_color(c.code_id, color))}"></span>{escape(name)}</a>')
            code_html[c.code_id] = head
        status = escape(c.status)
        confidence = f" {c.confidence:.2f}" if c.confidence is not None else ""
        who = f" · {escape(c.coder)}" if c.origin == "human" else ""
        quote = text[c.start:c.end]
        if len(quote) > excerpt:
            quote = quote[: excerpt - 1] + "…"
        buttons = "".join(
            f'<button type="button" class="{cls}" data-act="{act}" hx-post="/codings/{c.id}/status" '
            f'hx-vals=\'{{"status": "{act}", "version": {int(c.version)}}}\'>{label}</button>'
            for act, label, cls in _BUTTONS.get(c.status, ())
        )
        out.append(
            f'<li id="coding-{c.id}" class="coding st-{status}" data-s="{c.start}" data-e="{c.end}">'
            f'<div class="line1">{head} <span class="badge {status}">{status}{confidence}</span> '
            f'<span class="meta">{escape(c.origin)}{who} · [{c.start}, {c.end})</span></div>'
            f'<a class="excerpt" href="#" data-goto="{c.start}" data-id="{c.id}">{escape(quote)}</a>'
            f'<div class="acts">{buttons}</div></li>\n'
        )
    return Markup("".join(out))
