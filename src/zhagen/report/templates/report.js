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
})();
