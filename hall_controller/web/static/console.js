// The console's glue. A confirmation line when an action went through (a refusal is shown by app.js), and a
// device page's telemetry chart (ECharts), redrawn from the JSON that each live update brings.
(() => {
  const flash = () => document.getElementById("flash");

  document.addEventListener("htmx:afterRequest", (ev) => {
    const xhr = ev.detail.xhr;
    if (!ev.detail.successful || !xhr) return;
    if (!(xhr.getResponseHeader("content-type") || "").startsWith("application/json")) return;
    let body;
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      return;
    }
    const box = flash();
    if (!body.done || !box) return;
    const en = document.documentElement.lang === "en";
    box.textContent = (en ? body.done.message : body.done.message_zh) + (body.done.detail ? ` ${body.done.detail}` : "");
    box.classList.add("ok");
    box.hidden = false;
  });
  document.addEventListener("ov:refused", () => flash()?.classList.remove("ok"));

  let chart = null;
  const drawChart = () => {
    const box = document.getElementById("charts");
    const source = document.getElementById("chart-data");
    if (!box || !source || !window.echarts) return;
    const d = JSON.parse(source.textContent);
    const labels = JSON.parse(box.dataset.labels);
    const pairs = (values) => d.t.map((t, i) => [t, values[i]]);
    chart = chart || window.echarts.init(box);
    chart.setOption({
      animation: false,
      useUTC: true, // the times are the hall's wall clock (see ChartData)
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 36, bottom: 32 },
      xAxis: { type: "time" },
      yAxis: [{ type: "value", min: 0, max: 100, name: "%" }, { type: "value", min: 0, name: `°C / ${labels.outbox}` }],
      series: [
        { name: labels.cpu, type: "line", showSymbol: false, data: pairs(d.cpu_pct) },
        { name: labels.mem, type: "line", showSymbol: false, data: pairs(d.mem_pct) },
        { name: labels.disk, type: "line", showSymbol: false, data: pairs(d.disk_pct) },
        { name: labels.temp, type: "line", showSymbol: false, yAxisIndex: 1, data: pairs(d.temp_c) },
        { name: labels.outbox, type: "line", step: "end", showSymbol: false, yAxisIndex: 1, data: pairs(d.outbox_depth) },
      ],
    });
  };
  document.addEventListener("DOMContentLoaded", drawChart);
  document.addEventListener("htmx:afterSettle", drawChart);
  window.addEventListener("resize", () => chart?.resize());
})();
