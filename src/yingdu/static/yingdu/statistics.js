// Public statistics charts: an element with data-stat-chart="<key>", data-chart-source="<id of a json_script>" and
// data-chart-kind="bar|pie" is drawn with the local Apache ECharts from that JSON's <key>:
// {"categories": ["2026-11", …], "unit": "元", "series": [{"name", "data": [numbers or numeric strings]}]}.
(function () {
  "use strict";
  function option(kind, data) {
    if (kind === "pie") {
      var series = data.series[0];
      return {
        animation: false,
        tooltip: { trigger: "item", confine: true, renderMode: "richText" },
        legend: { type: "scroll", top: 0 },
        series: [{
          name: series.name, type: "pie", radius: ["35%", "65%"], top: 28,
          label: { formatter: "{b}\n{d}%" },
          data: data.categories.map(function (name, i) { return { name: name, value: Number(series.data[i]) }; })
        }]
      };
    }
    return {
      animation: false,
      tooltip: { trigger: "axis", confine: true, renderMode: "richText" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.categories },
      yAxis: { type: "value", name: data.unit || "", minInterval: data.integer ? 1 : 0 },
      series: data.series.map(function (series) {
        return { name: series.name, type: "bar", data: series.data.map(Number) };
      })
    };
  }
  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-stat-chart]").forEach(function (element) {
      var source = document.getElementById(element.dataset.chartSource);
      if (!source) { return; }
      var data = JSON.parse(source.textContent)[element.dataset.statChart];
      if (!data) { return; }
      var chart = window.echarts.getInstanceByDom(element) || window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(option(element.dataset.chartKind, data), { notMerge: true });
      element.setAttribute("data-chart-drawn", "1");
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-stat-chart]").forEach(function (element) {
      var chart = window.echarts && window.echarts.getInstanceByDom(element);
      if (chart) { chart.resize(); }
    });
  });
})();
