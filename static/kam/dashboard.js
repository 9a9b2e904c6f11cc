/* The dashboard's charts: Chart.js (from the django-chartjs package, served by the app) draws each
   <canvas data-kam-chart="ID"> from the JSON of <script id="ID" type="application/json">, written by the
   server from the same rows as the table beside it (kam/reports.py). No inline script, no CSS injection. */
(function () {
  "use strict";

  function numberFormat(value) {
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: 2 });
  }

  function config(spec) {
    var doughnut = spec.type === "doughnut";
    var horizontal = spec.type === "horizontalBar";
    var datasets = spec.datasets.map(function (set) {
      var colors = set.colors || ["#2563eb"];
      var color = doughnut ? colors : colors[0];
      return {
        label: set.label,
        data: set.data,
        backgroundColor: color,
        borderColor: doughnut ? "#ffffff" : color,
        borderWidth: doughnut ? 2 : 0,
      };
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 0 },
      legend: { display: doughnut || datasets.length > 1, position: doughnut ? "right" : "top" },
      tooltips: {
        callbacks: {
          label: function (item, data) {
            var set = data.datasets[item.datasetIndex];
            var value = set.data[item.index];
            var name = doughnut ? data.labels[item.index] : set.label;
            return name + ": " + numberFormat(value);
          },
        },
      },
    };
    if (!doughnut) {
      var valueAxis = { stacked: !!spec.stacked, ticks: { beginAtZero: true, precision: 0, callback: numberFormat } };
      var labelAxis = { stacked: !!spec.stacked, gridLines: { display: false } };
      options.scales = horizontal
        ? { xAxes: [valueAxis], yAxes: [labelAxis] }
        : { xAxes: [labelAxis], yAxes: [valueAxis] };
    }
    return { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function draw() {
    if (typeof window.Chart === "undefined") {
      return;
    }
    window.Chart.platform.disableCSSInjection = true; // its few rules are in kam.css
    document.querySelectorAll("canvas[data-kam-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.kamChart);
      if (!source) {
        return;
      }
      var chart = new window.Chart(canvas.getContext("2d"), config(JSON.parse(source.textContent)));
      canvas.dataset.kamDrawn = String(chart.data.datasets.length);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
