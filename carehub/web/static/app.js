// CareHub web application: progressive enhancement only (every page works without it).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Auto-submit selects marked data-autosubmit (the form also has a submit button).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.requestSubmit(); });
  });
});
