// Charts of the partner activity registry (Chart.js, vendored in
// chart.umd.js). Each <canvas data-chart="..."> carries its data as JSON in
// the attribute; the same numbers are in the tables next to it, so the
// pages work without JavaScript.
(function () {
  function draw() {
    if (typeof Chart === "undefined") { return; }
    var nodes = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var spec;
      try { spec = JSON.parse(el.getAttribute("data-chart")); } catch (e) { continue; }
      var datasets = (spec.series || []).map(function (s, j) {
        var palette = ["#1f5fa8", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#2c7a7b"];
        return { label: s.label, data: s.data, backgroundColor: palette[j % palette.length], borderColor: palette[j % palette.length],
          yAxisID: s.axis || "y", type: s.type || undefined };
      });
      var scales = { y: { beginAtZero: true, position: "left" } };
      if (spec.series && spec.series.some(function (s) { return s.axis === "y2"; })) {
        scales.y2 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } };
      }
      el.setAttribute("role", "img");
      new Chart(el, { type: spec.type || "bar", data: { labels: spec.labels, datasets: datasets },
        options: { responsive: true, animation: false, indexAxis: spec.horizontal ? "y" : "x", scales: scales,
          plugins: { legend: { display: datasets.length > 1 } } } });
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
