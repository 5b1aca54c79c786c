// Charts of the overview and project pages, drawn from the JSON the server put in the page.
(function () {
  "use strict";
  var dataNode = document.getElementById("chart-data");
  if (!dataNode || typeof echarts === "undefined") return;
  var data = JSON.parse(dataNode.textContent);
  var charts = {};
  window.portfolioCharts = charts;
  var WAN_PER_YI = 10000;

  function yi(wan) { return Math.round(wan / WAN_PER_YI * 100) / 100; }
  function grouped(n) { return n.toLocaleString("zh-CN"); }

  function barChart(node, rows, labels) {
    var chart = echarts.init(node, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var row = rows[items[0].dataIndex];
          return row.label + "<br>" + labels.project_count + ": " + grouped(row.project_count) +
            "<br>" + labels.planned + ": " + grouped(row.total_investment_wan) + " 万元" +
            "<br>" + labels.invested + ": " + grouped(row.invested_to_date_wan) + " 万元";
        }
      },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }),
               axisLabel: { interval: 0, rotate: rows.length > 5 ? 35 : 0, width: 90, overflow: "truncate" } },
      yAxis: [{ type: "value", name: labels.project_count, minInterval: 1 },
              { type: "value", name: labels.unit, splitLine: { show: false } }],
      series: [
        { name: labels.project_count, type: "bar", data: rows.map(function (r) { return r.project_count; }) },
        { name: labels.planned + " (" + labels.unit + ")", type: "bar", yAxisIndex: 1,
          data: rows.map(function (r) { return yi(r.total_investment_wan); }) }
      ]
    });
    chart.on("click", function (params) {
      var row = rows[params.dataIndex];
      if (row && row.link) window.location.href = row.link;
    });
    return chart;
  }

  function investmentChart(node, points, planned, labels) {
    var chart = echarts.init(node, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 16, bottom: 8, top: 40, containLabel: true },
      // One point per report date: a time axis would stretch a single report over hours.
      xAxis: { type: "category", boundaryGap: true, data: points.map(function (p) { return p.as_of; }) },
      yAxis: { type: "value", name: "万元", max: function (v) { return Math.max(v.max, planned); } },
      series: [{
        name: labels.invested, type: "line", symbolSize: 8,
        data: points.map(function (p) { return p.invested_to_date_wan; }),
        markLine: { symbol: "none", data: [{ yAxis: planned, name: labels.planned }],
                    label: { position: "insideEndTop", formatter: labels.planned + " " + grouped(planned) + " 万元" } }
      }]
    });
    return chart;
  }

  // The year's round: counts per month as bars, the month's investment as a line in 亿元.
  function seriesChart(node, points, labels) {
    var chart = echarts.init(node, null, { renderer: "canvas" });
    var counts = [["started", labels.started], ["resumed", labels.resumed],
                  ["completed", labels.completed], ["commissioned", labels.commissioned]];
    chart.setOption({
      animation: false,
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var p = points[items[0].dataIndex];
          return p.label + counts.map(function (c) {
            return "<br>" + c[1] + ": " + grouped(p[c[0]]) + " " + labels.count_unit;
          }).join("") + "<br>" + labels.invested_month + ": " + grouped(p.invested_wan) + " 万元";
        }
      },
      // A plain legend wraps onto a second line on a phone instead of paging.
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: node.clientWidth < 480 ? 76 : 48, containLabel: true },
      xAxis: { type: "category", data: points.map(function (p) { return p.label; }) },
      yAxis: [{ type: "value", name: labels.count_unit, minInterval: 1 },
              { type: "value", name: labels.unit, splitLine: { show: false } }],
      series: counts.map(function (c) {
        return { name: c[1], type: "bar", data: points.map(function (p) { return p[c[0]]; }) };
      }).concat([{
        name: labels.invested_month + " (" + labels.unit + ")", type: "line", yAxisIndex: 1,
        symbolSize: 7, data: points.map(function (p) { return yi(p.invested_wan); })
      }])
    });
    return chart;
  }

  var seriesNode = document.getElementById("chart-series");
  if (seriesNode && data.series) {
    charts.series = seriesChart(seriesNode, data.series, data.labels);
  }
  if (data.charts) {
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var key = node.getAttribute("data-chart");
      charts[key] = barChart(node, data.charts[key], data.labels);
    });
  }
  var investment = document.getElementById("chart-investment");
  if (investment && data.investment) {
    charts.investment = investmentChart(investment, data.investment, data.planned, data.labels);
  }
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (key) { charts[key].resize(); });
  });
  document.documentElement.setAttribute("data-charts-ready", "true");
})();
