(function () {
  var body = document.body;
  function setLang(lang) {
    body.setAttribute("data-lang", lang);
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  }
  document.getElementById("lang-toggle").addEventListener("click", function () {
    setLang(body.getAttribute("data-lang") === "zh" ? "en" : "zh");
  });
  function all(open) {
    var items = document.querySelectorAll("details");
    for (var i = 0; i < items.length; i++) { items[i].open = open; }
  }
  document.getElementById("open-all").addEventListener("click", function () { all(true); });
  document.getElementById("close-all").addEventListener("click", function () { all(false); });
  if (location.hash === "#en") { setLang("en"); }
  // Sortable tables: a click on a header sorts the body by that column's data-sort values (numbers as numbers).
  function sortBy(table, th, index) {
    var numeric = th.getAttribute("data-type") === "num";
    var desc = !th.classList.contains("sorted-desc");
    var heads = table.tHead.rows[0].cells;
    for (var h = 0; h < heads.length; h++) { heads[h].classList.remove("sorted-asc", "sorted-desc"); }
    th.classList.add(desc ? "sorted-desc" : "sorted-asc");
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    function key(row) {
      var cell = row.cells[index];
      var v = cell ? (cell.getAttribute("data-sort") || cell.textContent) : "";
      return numeric ? parseFloat(v) || 0 : v;
    }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      var c = x < y ? -1 : (x > y ? 1 : 0);
      return desc ? -c : c;
    });
    for (var r = 0; r < rows.length; r++) { table.tBodies[0].appendChild(rows[r]); }
  }
  var tables = document.querySelectorAll("table.sortable");
  for (var t = 0; t < tables.length; t++) {
    (function (table) {
      var heads = table.tHead.rows[0].cells;
      for (var i = 0; i < heads.length; i++) {
        (function (th, index) { th.addEventListener("click", function () { sortBy(table, th, index); }); })(heads[i], i);
      }
    })(tables[t]);
  }
})();
