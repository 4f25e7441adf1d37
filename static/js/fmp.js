// FMP: small progressive enhancements. No inline scripts anywhere (CSP).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-fmp-select-all]");
    if (!all) { return; }
    var table = all.closest("table");
    table.querySelectorAll('tbody input[type="checkbox"][name="devices"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();

// The MPS application support fields show only for that service (the server checks anyway).
(function () {
  "use strict";
  function sync() {
    var select = document.getElementById("id_service");
    var box = document.querySelector("[data-fmp-mps-fields]");
    if (!select || !box) { return; }
    var option = select.options[select.selectedIndex];
    box.hidden = !(option && option.dataset.mps === "1");
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_service") { sync(); }
  });
  document.addEventListener("DOMContentLoaded", sync);
})();

// A form marked data-fmp-submit-once is sent once per page view (a double click sends one);
// the server refuses a second ticket anyway (submission key). Back in the history, it works again.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-fmp-submit-once]");
    if (!form) { return; }
    if (form.dataset.fmpSubmitting === "1") { event.preventDefault(); return; }
    form.dataset.fmpSubmitting = "1";
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-fmp-submit-once]").forEach(function (form) {
      delete form.dataset.fmpSubmitting;
    });
  });
})();

// Tooltips (Bootstrap, served from static/): the whole text of a cut cell, what a badge
// means. Without JavaScript the title attribute still shows it on hover.
(function () {
  "use strict";
  function init(root) {
    if (!window.bootstrap || !window.bootstrap.Tooltip) { return; }
    root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (element) {
      window.bootstrap.Tooltip.getOrCreateInstance(element);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
