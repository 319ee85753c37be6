// Operations dashboard: while the forecasts are computed, poll their state, announce the
// current step in the status region and reload the page once they are ready.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("forecast-status");
  if (!box || box.getAttribute("data-state") !== "running") { return; }
  var url = box.getAttribute("data-poll");
  var text = box.querySelector("p");
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.state === "running") {
          if (text && s.message) { text.lastChild.textContent = " " + s.message; }
          window.setTimeout(poll, 1000);
        } else {
          box.setAttribute("data-state", s.state);
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
});
