/* Starts ReDoc on /redoc (a file, not an inline script: the CSP allows scripts from this server only). */
(function () {
  "use strict";
  var target = document.getElementById("redoc");
  Redoc.init(target.dataset.spec, {}, target);
})();
