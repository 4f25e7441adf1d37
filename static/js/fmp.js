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
