// FMP: small progressive enhancements. No inline scripts anywhere (CSP).
(function () {
  "use strict";
})();
