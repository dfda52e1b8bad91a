// The reports page's two charts, drawn with ECharts (static/vendor) from the JSON the page carries.
(function () {
  function draw() {
    const source = document.getElementById("report-chart");
    if (!source || typeof echarts === "undefined") return;
    const c = JSON.parse(source.textContent);
    const font = { fontFamily: "Noto Sans CJK SC, sans-serif" };
    const volume = echarts.init(document.getElementById("chart-volume"), null, { renderer: "svg" });
    volume.setOption({
      textStyle: font, animation: false, tooltip: { trigger: "axis" },
      legend: { top: 0, data: [c.names.visits, c.names.served, c.names.wait] },
      grid: { left: 48, right: 56, top: 56, bottom: 32 },
      xAxis: { type: "category", data: c.labels },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", name: c.names.minutes }],
      series: [
        { name: c.names.visits, type: "bar", data: c.visits, itemStyle: { color: "#0b5cad" } },
        { name: c.names.served, type: "bar", data: c.served, itemStyle: { color: "#13703a" } },
        { name: c.names.wait, type: "line", yAxisIndex: 1, data: c.wait_p50_min, connectNulls: true,
          itemStyle: { color: "#b5121b" } },
      ],
    });
    const waits = echarts.init(document.getElementById("chart-waits"), null, { renderer: "svg" });
    waits.setOption({
      textStyle: font, animation: false, tooltip: { trigger: "axis" },
      legend: { top: 0, data: [c.names.p50, c.names.p90] },
      grid: { left: 48, right: 16, top: 56, bottom: 40 },
      xAxis: { type: "category", data: c.services, axisLabel: { interval: 0, rotate: c.services.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", name: c.names.minutes },
      series: [
        { name: c.names.p50, type: "bar", data: c.service_wait_p50_min, itemStyle: { color: "#0b5cad" } },
        { name: c.names.p90, type: "bar", data: c.service_wait_p90_min, itemStyle: { color: "#8a5300" } },
      ],
    });
    window.addEventListener("resize", () => { volume.resize(); waits.resize(); });
    document.body.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
