/* zhagen web workbench: the little JavaScript the pages need.
 *
 * - turns a selection in the document text into code-point offsets for the coding form
 *   (JS strings count UTF-16 units; zhagen counts code points, so 𠮷 is one character);
 * - links highlighted text and the codings panel both ways;
 * - shows messages sent by the server (HX-Trigger "zhagen:flash");
 * - opens the evidence of a path-model edge in place.
 * Everything else is htmx (static/htmx.min.js) and plain forms.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------- messages
  function showMessage(text, kind) {
    var box = document.getElementById("flash");
    if (!box) return;
    var div = document.createElement("div");
    div.className = "msg " + (kind || "ok");
    div.setAttribute("role", kind === "error" ? "alert" : "status");
    div.textContent = text;
    box.appendChild(div);
    var ttl = kind === "error" ? 15000 : 5000;
    setTimeout(function () { if (div.parentNode) div.parentNode.removeChild(div); }, ttl);
    div.addEventListener("click", function () { if (div.parentNode) div.parentNode.removeChild(div); });
  }

  function autoHide() {
    document.querySelectorAll("#flash .msg").forEach(function (div) {
      if (div.dataset.timed) return;
      div.dataset.timed = "1";
      setTimeout(function () { if (div.parentNode) div.parentNode.removeChild(div); },
        div.classList.contains("error") ? 15000 : 6000);
    });
  }

  document.addEventListener("zhagen:flash", function (event) {
    var detail = event.detail || {};
    (detail.messages || []).forEach(function (m) { showMessage(m.text, m.kind); });
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Trigger")) return; // the server's message is shown already
    showMessage("The server could not do that (" + (xhr ? xhr.status : "error") + "). Reload the page.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    showMessage("Cannot reach the zhagen server: is `zhagen serve` still running?", "error");
  });

  // ---------------------------------------------------------------- offsets
  function codePoints(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.length) {
        var d = s.charCodeAt(i + 1);
        if (d >= 0xDC00 && d <= 0xDFFF) i++;
      }
      n++;
    }
    return n;
  }

  // The code-point offset in the document of a DOM boundary point inside #doctext.
  function boundaryOffset(root, node, offset) {
    if (node.nodeType === Node.TEXT_NODE) {
      var seg = node.parentNode && node.parentNode.closest ? node.parentNode.closest(".seg") : null;
      if (!seg || !root.contains(seg)) return null;
      var before = 0;
      for (var n = seg.firstChild; n && n !== node; n = n.nextSibling) before += codePoints(n.textContent);
      return Number(seg.dataset.s) + before + codePoints(node.data.slice(0, offset));
    }
    if (node === root) {
      var segs = root.querySelectorAll(":scope > .seg");
      if (offset >= segs.length) return Number(root.dataset.len);
      return Number(segs[offset].dataset.s);
    }
    var el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentNode;
    var s = el && el.closest ? el.closest(".seg") : null;
    if (s && root.contains(s)) {
      return offset === 0 ? Number(s.dataset.s) : Number(s.dataset.e);
    }
    return null;
  }

  // [start, end) in code points of the current selection, clipped to the document text.
  function selectionSpan(root) {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var range = sel.getRangeAt(0);
    var whole = document.createRange();
    whole.selectNodeContents(root);
    if (range.compareBoundaryPoints(Range.END_TO_START, whole) >= 0) return null;   // starts after the text
    if (range.compareBoundaryPoints(Range.START_TO_END, whole) <= 0) return null;   // ends before the text
    var start = range.compareBoundaryPoints(Range.START_TO_START, whole) <= 0 ? 0
      : boundaryOffset(root, range.startContainer, range.startOffset);
    var end = range.compareBoundaryPoints(Range.END_TO_END, whole) >= 0 ? Number(root.dataset.len)
      : boundaryOffset(root, range.endContainer, range.endOffset);
    if (start === null || end === null || !(start < end)) return null;
    return [start, end];
  }

  function docChars(root) {
    if (!root._chars) root._chars = Array.from(root.textContent);
    return root._chars;
  }

  function updateSelection() {
    var root = document.getElementById("doctext");
    var form = document.getElementById("codeform");
    if (!root || !form) return;
    var span = selectionSpan(root);
    if (!span) return; // keep the last selection while the user picks a code
    form.querySelector("#sel-start").value = span[0];
    form.querySelector("#sel-end").value = span[1];
    var text = docChars(root).slice(span[0], span[1]).join("");
    var info = form.querySelector("#selinfo");
    info.textContent = "";
    info.classList.remove("muted");
    var q = document.createElement("q");
    q.textContent = text.length > 140 ? text.slice(0, 140) + "…" : text;
    var where = document.createElement("span");
    where.className = "meta";
    where.textContent = " [" + span[0] + ", " + span[1] + ")";
    info.appendChild(q);
    info.appendChild(where);
    form.querySelector("#code-btn").disabled = false;
  }

  var selTimer = null;
  document.addEventListener("selectionchange", function () {
    clearTimeout(selTimer);
    selTimer = setTimeout(updateSelection, 60);
  });

  // ---------------------------------------------------------------- text <-> panel
  // Highlight the panel entries of some codings (li elements) and scroll to the first.
  function pick(items) {
    var list = document.getElementById("codings");
    if (!list) return;
    list.querySelectorAll("li.picked").forEach(function (li) { li.classList.remove("picked"); });
    var first = null;
    items.forEach(function (li) {
      li.classList.add("picked");
      if (!first && (list.dataset.filter === "all" ? !li.classList.contains("st-rejected")
          : li.classList.contains("st-" + list.dataset.filter))) first = li;
    });
    if (!first && items.length) { setFilter("all"); first = items[0]; }
    if (first) first.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  // The visible codings that cover a segment [s, e).
  function codingsOver(s, e) {
    var found = [];
    document.querySelectorAll("#codings li.coding:not(.st-rejected)").forEach(function (li) {
      if (Number(li.dataset.s) <= s && Number(li.dataset.e) >= e) found.push(li);
    });
    return found;
  }

  function setFilter(name) {
    var list = document.getElementById("codings");
    if (!list) return;
    list.dataset.filter = name;
    document.querySelectorAll(".filterbar button").forEach(function (b) {
      b.classList.toggle("on", b.dataset.filter === name);
    });
    try { sessionStorage.setItem("zhagen.filter", name); } catch (e) { /* private mode */ }
  }

  document.addEventListener("click", function (event) {
    var t = event.target;
    var seg = t.closest && t.closest("#doctext .seg.coded, #doctext .seg.sug");
    if (seg) {
      var sel = window.getSelection();
      if (sel && !sel.isCollapsed) return;
      pick(codingsOver(Number(seg.dataset.s), Number(seg.dataset.e)));
      return;
    }
    var go = t.closest && t.closest("a[data-goto]");
    if (go) {
      event.preventDefault();
      var target = document.querySelector('#doctext .seg[data-s="' + Number(go.dataset.goto) + '"]');
      if (target) {
        target.scrollIntoView({ block: "center", behavior: "smooth" });
        target.classList.remove("flashy");
        void target.offsetWidth;
        target.classList.add("flashy");
      }
      var li = document.getElementById("coding-" + go.dataset.id);
      pick(li ? [li] : []);
      return;
    }
    var fb = t.closest && t.closest(".filterbar button[data-filter]");
    if (fb) { setFilter(fb.dataset.filter); return; }
    var edge = t.closest && t.closest("#pathmodel a.edge");
    if (edge && window.htmx) {
      event.preventDefault();
      document.querySelectorAll("#pathmodel a.edge.selected").forEach(function (e) { e.classList.remove("selected"); });
      edge.classList.add("selected");
      var url = edge.getAttribute("href");
      window.htmx.ajax("GET", url, { target: "#evidence", select: "#evidence", swap: "outerHTML" });
      try { history.replaceState(null, "", url); } catch (e) { /* ignore */ }
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "show-sug") {
      var root = document.getElementById("doctext");
      if (root) root.classList.toggle("nosug", !event.target.checked);
      try { sessionStorage.setItem("zhagen.sug", event.target.checked ? "1" : "0"); } catch (e) { /* ignore */ }
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.id === "codeform") {
      if (!form.querySelector("#sel-start").value) {
        event.preventDefault();
        showMessage("Select some text in the document first.", "error");
      }
    }
  }, true);

  // ---------------------------------------------------------------- after load and swaps
  function restore() {
    autoHide();
    var root = document.getElementById("doctext");
    if (root) {
      root._chars = null;
      var sug = null;
      try { sug = sessionStorage.getItem("zhagen.sug"); } catch (e) { /* ignore */ }
      var box = document.getElementById("show-sug");
      if (sug === "0" && box) { box.checked = false; root.classList.add("nosug"); }
      var f = null;
      try { f = sessionStorage.getItem("zhagen.filter"); } catch (e) { /* ignore */ }
      if (f) setFilter(f);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    restore();
    var hl = document.querySelector("#doctext .seg.hl");
    if (hl) hl.scrollIntoView({ block: "center" });
    var sel = document.querySelector("#pathmodel a.edge.selected");
    if (sel) { var ev = document.getElementById("evidence"); if (ev) ev.scrollIntoView({ block: "nearest" }); }
  });
  document.addEventListener("htmx:afterSettle", restore);
})();
