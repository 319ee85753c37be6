// Self-assessment: hide (and disable) the questions whose enableWhen condition is not met.
// Progressive enhancement only: without this script every question is shown and the
// server ignores answers to questions that do not apply.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form.self-check");
  if (!form) { return; }
  var dependent = form.querySelectorAll("[data-enable-when]");
  function answers(name) {
    var out = [];
    form.querySelectorAll("[name='" + name + "']").forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value !== "") {
        out.push(el.value);
      }
    });
    return out;
  }
  function update() {
    dependent.forEach(function (box) {
      var rules = JSON.parse(box.getAttribute("data-enable-when"));
      var on = rules.every(function (rule) {
        var given = answers(rule[0]);
        if (rule[1] === "=") { return given.indexOf(rule[2]) >= 0; }
        if (rule[1] === "!=") { return given.length > 0 && given.indexOf(rule[2]) < 0; }
        if (rule[1] === "exists") { return given.length > 0; }
        return true;
      });
      box.hidden = !on;
      box.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !on; });
    });
  }
  form.addEventListener("change", update);
  update();
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
