// Charts: an element with data-chart="<key>" and data-chart-source="<id of a json_script>" is drawn with the local
// Apache ECharts from that JSON's <key>: {"days": ["2026-11-01", …], "unit": "元", "series": [{"name", "data"}]}.
// Drawn on load and again whenever a live region (live.js) refreshes the JSON; the chart itself is never rebuilt.
(function () {
  "use strict";
  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.dataset.chartSource);
      if (!source) { return; }
      var data = JSON.parse(source.textContent)[element.dataset.chart];
      if (!data) { return; }
      var chart = window.echarts.getInstanceByDom(element) || window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis", confine: true, renderMode: "richText" },
        legend: { type: "scroll", top: 0 },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.days.map(function (day) { return day.slice(5); }) },
        yAxis: { type: "value", name: data.unit || "" },
        series: data.series.map(function (series) {
          return { name: series.name, type: "line", showSymbol: false, data: series.data };
        })
      }, { notMerge: true });
      element.setAttribute("data-chart-drawn", "1");
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("live:updated", draw);
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var chart = window.echarts && window.echarts.getInstanceByDom(element);
      if (chart) { chart.resize(); }
    });
  });
})();
