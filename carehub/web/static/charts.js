// Lab trend charts: each <div class="chart" data-chart-id="x"> is drawn from the JSON in
// <script type="application/json" id="x">, with plotly.js served from this site.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Plotly === "undefined") { return; }
  document.querySelectorAll("div.chart[data-chart-id]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-chart-id"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    Plotly.newPlot(el, spec.data, spec.layout, {displaylogo: false, responsive: true})
      .then(function () { el.setAttribute("data-rendered", "true"); });
  });
});
