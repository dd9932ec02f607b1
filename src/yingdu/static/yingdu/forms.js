// A <select data-autosubmit> submits its form when its value changes (the language switch, list filters). Loaded by
// base.html; pages hold no inline script or event-handler attribute (settings.CONTENT_SECURITY_POLICY).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
})();
