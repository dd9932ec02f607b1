// A <select data-autosubmit> submits its form when its value changes (the language switch, list filters); the menu
// button folds and unfolds the navigation on a phone and says which it is (aria-expanded). Loaded by base.html; pages
// hold no inline script or event-handler attribute (settings.CONTENT_SECURITY_POLICY).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("button.nav-toggle");
    if (!button) { return; }
    var nav = document.getElementById(button.getAttribute("aria-controls"));
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (nav) { nav.classList.toggle("open", open); }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
})();
