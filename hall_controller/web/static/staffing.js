// The routing page's staffing chart (ECharts, static/vendor): windows advised per hour today and tomorrow beside
// the windows actually open today, and today's visits forecast and so far, from the JSON the page carries.
(function () {
  function draw() {
    const source = document.getElementById("staffing-chart");
    const box = document.getElementById("chart-staffing");
    if (!source || !box || typeof echarts === "undefined") return;
    const c = JSON.parse(source.textContent);
    const n = c.names;
    const chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      textStyle: { fontFamily: "Noto Sans CJK SC, sans-serif" }, animation: false, tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 56, bottom: 32 },
      xAxis: { type: "category", data: c.labels },
      yAxis: [{ type: "value", minInterval: 1, name: n.windows }, { type: "value", minInterval: 1, name: n.visits }],
      series: [
        { name: n.advised_today, type: "bar", data: c.advised_today, itemStyle: { color: "#0b5cad" } },
        { name: n.open_today, type: "bar", data: c.open_today, itemStyle: { color: "#13703a" } },
        { name: n.advised_tomorrow, type: "line", step: "middle", data: c.advised_tomorrow, connectNulls: false,
          lineStyle: { type: "dashed" }, itemStyle: { color: "#8a5300" } },
        { name: n.forecast_today, type: "line", yAxisIndex: 1, data: c.forecast_today, itemStyle: { color: "#b5121b" } },
        { name: n.arrived_today, type: "line", yAxisIndex: 1, data: c.arrived_today, lineStyle: { type: "dotted" },
          itemStyle: { color: "#55606e" } },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
    document.body.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
