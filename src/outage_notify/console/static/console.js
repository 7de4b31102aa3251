// Refresh the parts of a page marked data-live (the incident's coverage) every few seconds,
// without reloading the page; paused while the tab is hidden. Same-origin requests only.
(function () {
  "use strict";
  var PERIOD_MS = 5000;
  function refresh(element) {
    if (document.hidden) { return; }
    fetch(element.getAttribute("data-live"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) { element.innerHTML = html; element.removeAttribute("data-stale"); })
      .catch(function () { element.setAttribute("data-stale", "true"); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(function (element) {
      setInterval(function () { refresh(element); }, PERIOD_MS);
    });
  });
})();
