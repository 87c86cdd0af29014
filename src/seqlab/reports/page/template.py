"""The HTML of summary.html (`seqlab.reports.page`): words, charts, a table that sorts
and filters; everything inline but plotly.min.js, which lies beside it."""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px;
       color: #222; padding: 0 16px; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }} h2 {{ font-size: 16px; margin: 18px 0 4px; }}
.question {{ color: #555; margin: 0 0 8px; }}
ul.answers {{ font-size: 16px; margin: 6px 0 10px; }}
.count {{ font-weight: 600; }} .count.failed, .count.unreadable {{ color: #b00; }}
.count.interrupted, .count.incomplete, .count.not-run {{ color: #a60; }}
.note {{ color: #555; margin: 4px 0; }}
.filters label {{ margin-right: 12px; }}
table {{ border-collapse: collapse; margin-top: 8px; font-size: 13px; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 3px 7px; text-align: left;
         white-space: nowrap; }}
th {{ cursor: pointer; background: #f4f4f4; position: sticky; top: 0; }}
th.sorted-asc::after {{ content: " ▲"; }} th.sorted-desc::after {{ content: " ▼"; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.bad td {{ background: #fff0f0; }}
details {{ white-space: normal; max-width: 520px; }}
.tablebox {{ overflow: auto; max-height: 70vh; }}
</style>
{plotly}
</head><body>
<h1>{title}</h1>
<p class="question">{question}</p>
<ul class="answers">{answers}</ul>
<p>{counts}</p>
{notes}
{charts}
<h2>Table: {n} {what}</h2>
<div class="filters" id="filters"></div>
<div class="tablebox"><table id="summary"><thead></thead><tbody></tbody></table></div>
<script type="application/json" id="data">{data}</script>
<script>
(function () {{
  const data = JSON.parse(document.getElementById("data").textContent);
  const table = document.getElementById("summary");
  const head = table.tHead, body = table.tBodies[0];
  let order = data.cells.map((_, i) => i), sortColumn = -1, ascending = true;
  const filters = {{}};
  function show(v) {{
    if (v === null || v === undefined) return "";
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "number") return Math.abs(v) < 1000 ? Number(v.toPrecision(4)).toString()
                                                          : v.toFixed(0);
    return String(v);
  }}
  function render() {{
    head.innerHTML = "";
    const tr = head.insertRow();
    data.header.forEach((name, i) => {{
      const th = document.createElement("th");
      th.textContent = name;
      if (i === sortColumn) th.className = ascending ? "sorted-asc" : "sorted-desc";
      th.addEventListener("click", () => sortBy(i));
      tr.appendChild(th);
    }});
    body.innerHTML = "";
    const jobAt = data.header.indexOf("job"), errorAt = data.header.indexOf("error");
    for (const r of order) {{
      const cells = data.cells[r];
      const visible = data.keys.every(k => filters[k] == null ||
        String(cells[data.header.indexOf(k)]) === filters[k]);
      if (!visible) continue;
      const row = body.insertRow();
      row.dataset.row = r;
      if (!["ok"].includes(data.status[r])) row.className = "bad";
      cells.forEach((v, i) => {{
        const td = row.insertCell();
        if (data.numeric[i]) td.className = "num";
        if (i === jobAt) {{
          data.links[r].forEach((href, j) => {{
            const a = document.createElement("a");
            a.href = href; a.textContent = String(v).split(",")[j] || href;
            if (j) td.append(", ");
            td.appendChild(a);
          }});
        }} else if (i === errorAt && v) {{
          const d = document.createElement("details");
          const s = document.createElement("summary");
          s.textContent = String(v).slice(0, 60) + (String(v).length > 60 ? "…" : "");
          d.appendChild(s); d.append(String(v)); td.appendChild(d);
        }} else td.textContent = show(v);
      }});
    }}
  }}
  function sortBy(i) {{
    ascending = sortColumn === i ? !ascending : true;
    sortColumn = i;
    order.sort((a, b) => {{
      const x = data.cells[a][i], y = data.cells[b][i];
      if (x === null || x === "") return 1;
      if (y === null || y === "") return -1;
      const c = (typeof x === "number" && typeof y === "number") ? x - y
                : String(x).localeCompare(String(y), undefined, {{numeric: true}});
      return ascending ? c : -c;
    }});
    render();
  }}
  const box = document.getElementById("filters");
  data.keys.forEach(k => {{
    const at = data.header.indexOf(k);
    const values = [...new Set(data.cells.map(c => String(c[at])))].sort();
    const label = document.createElement("label");
    label.textContent = k + " ";
    const select = document.createElement("select");
    select.dataset.key = k;
    ["(all)", ...values].forEach(v => {{
      const o = document.createElement("option"); o.textContent = v; select.appendChild(o);
    }});
    select.addEventListener("change", () => {{
      filters[k] = select.value === "(all)" ? null : select.value; render();
    }});
    label.appendChild(select); box.appendChild(label);
  }});
  render();
}})();
</script>
</body></html>
"""
