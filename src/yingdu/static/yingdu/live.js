// Live regions: an element with data-live-url is filled from that URL now and every data-live-seconds seconds.
(function () {
  "use strict";
  function refresh(element) {
    fetch(element.dataset.liveUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        element.innerHTML = html;
        element.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
      })
      .catch(function () { element.setAttribute("data-live-error", "1"); });
  }
  document.querySelectorAll("[data-live-url]").forEach(function (element) {
    refresh(element);
    var seconds = parseInt(element.dataset.liveSeconds || "10", 10);
    setInterval(function () { if (!document.hidden) { refresh(element); } }, seconds * 1000);
  });
})();
