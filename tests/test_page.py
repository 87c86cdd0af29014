"""summary.html: the sweep's answer in words, charts that stay readable, a table that sorts
and filters; opened in a real browser (headless Chromium)."""

from __future__ import annotations

import csv
import json
import random
import shutil

import pytest

from seqlab.reports.chart import MAX_BARS, readable
from seqlab.reports.page import headline
from seqlab.reports.page.charts import pareto_front

from .conftest import run_cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def _group(model, speedup, low, high, beyond):
    return {"overrides": {"model": model}, "job": "0", "step_ms_median": 10.0, "speedup": speedup,
            "speedup_low": low, "speedup_high": high, "beyond_noise": beyond, "speedup_n": 5,
            "metric": "accuracy", "val_metric": 0.5}  # fmt: skip


def test_the_headline_says_each_comparison_in_words_with_its_interval():
    rows = [_group("lstm", 1.0, None, None, None), _group("gru", 1.24, 1.14, 1.34, True)]
    rows.append(_group("simple_rnn", 0.5, 0.4, 0.625, True))
    said = headline(rows, ["model"], "model=lstm", grouped=True)
    assert said[0] == (
        "gru vs lstm (baseline): 1.24x faster [1.14, 1.34], beyond the noise, 5 seeds."
    )
    # Slower: the factor and its interval are both inverted, never mixed.
    assert said[1].startswith("simple_rnn vs lstm (baseline): 2.00x slower [1.60, 2.50]")


def test_without_step_times_the_headline_still_names_the_best_validation_but_not_for_smoke():
    rows = [
        {"overrides": {"model": m}, "job": str(i), "step_ms_median": None, "metric": "accuracy",
         "val_metric": v, "higher_is_better": True}
        for i, (m, v) in enumerate([("lstm", 0.5), ("gru", 0.7)])
    ]  # fmt: skip
    said = headline(rows, ["model"], None, grouped=False)
    assert said == ["No job measured a step time (smoke runs and failed jobs have none).",
                    "Best validation accuracy: gru, 0.7."]  # fmt: skip
    assert len(headline([{**r, "smoke": True} for r in rows], ["model"], None, False)) == 1


def test_the_configurations_nothing_beats_on_both_are_the_pareto_front():
    rng = random.Random(3)
    points = [(rng.uniform(1, 10), rng.uniform(0, 1), i) for i in range(60)]
    front = pareto_front(points, higher=True)
    for x, y, i in points:  # brute force: in the front iff no other is at least as good on both
        dominated = any(x2 <= x and y2 >= y and (x2, y2) != (x, y) for x2, y2, _ in points)
        assert (i in front) == (not dominated)


def test_a_chart_of_a_thousand_rows_draws_the_best_and_worst_and_says_so():
    rows = [{"step_ms_median": float(i), "job": str(i)} for i in range(1000)]
    kept, said = readable(rows)
    assert len(kept) == MAX_BARS and said.startswith("the 20 fastest and the 20 slowest of 1000")
    steps = sorted(r["step_ms_median"] for r in kept)
    assert steps[:20] == [float(i) for i in range(20)] and steps[-1] == 999.0
    assert readable(rows[:12]) == (rows[:12], None)


@pytest.mark.e2e
def test_the_page_opens_sorts_filters_and_draws_in_a_real_browser(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    args = ["-m", "model=lstm,gru", "repeats=2", "dataset.limit=300", "model.units=4",
            "model.layers=1", "trainer.epochs=3", "trainer.progress=false",
            'report.baseline="model=lstm"', "hydra.sweep.dir=s"]  # fmt: skip
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    page, sweep = tmp_path / "s" / "summary.html", tmp_path / "s"
    assert (sweep / "plotly.min.js").stat().st_size > 1_000_000  # beside it: no network
    with open(sweep / "summary.csv") as f:
        groups = list(csv.DictReader(f))
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        view = browser.new_page(viewport={"width": 1280, "height": 900})
        view.on("pageerror", lambda e: errors.append(str(e)))
        view.on("console", lambda m: m.type == "error" and errors.append(m.text))
        view.goto(page.as_uri(), wait_until="load")
        assert "gru vs lstm (baseline)" in view.inner_text("ul.answers")
        rows = view.locator("#summary tbody tr")
        assert rows.count() == len(groups) == 2
        column = view.locator("#summary thead th").all_inner_texts().index("step_ms_median")

        def steps() -> list[float]:
            return [float(t) for t in view.locator(f"#summary tbody td:nth-child({column + 1})")
                    .all_inner_texts()]  # fmt: skip

        view.click(f"#summary thead th:nth-child({column + 1})")
        assert steps() == sorted(steps())
        view.click(f"#summary thead th:nth-child({column + 1})")
        assert steps() == sorted(steps(), reverse=True)
        view.select_option("select[data-key=model]", "gru")
        assert rows.count() == 1 and "gru" in rows.first.inner_text()
        for chart in ("chart-step", "chart-tradeoff", "chart-curves"):
            points = view.locator(f"#{chart} .point, #{chart} path.point").count()
            assert points >= 2, f"{chart} drew {points} points"
        view.screenshot(path=str(tmp_path / "summary.png"), full_page=True)
        browser.close()
    assert not errors, errors
    print(f"screenshot: {tmp_path / 'summary.png'}")


@pytest.mark.e2e
def test_hostile_values_stay_text_and_every_row_filters_and_links_in_a_browser(tmp_path):
    """An override holding `<!--<script>` emptied the table (the JSON in the page left
    `<` as it was); the filter's empty value showed every row; a folder named with `#`
    or `?` was a broken link."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from seqlab.reports.summary import write_summary

    from .test_summary import write_job

    sweep = tmp_path / "s"
    write_job(sweep, 0, ["model=<!--<script>", "impl=layer"], 10.0)
    write_job(sweep, 1, ["model=</script><b>x</b>", "impl=layer"], 12.0)
    write_job(sweep, "with #hash?q", ["model=", "impl=layer"], 11.0)
    write_summary([sweep], sweep)
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        view = browser.new_page(viewport={"width": 1280, "height": 900})
        view.on("pageerror", lambda e: errors.append(str(e)))
        view.on("dialog", lambda d: errors.append(f"dialog {d.message}"))
        view.goto((sweep / "summary.html").as_uri(), wait_until="load")
        rows = view.locator("#summary tbody tr")
        assert rows.count() == 3
        assert "<!--<script>" in view.inner_text("#summary tbody")  # shown as typed
        view.select_option("select[data-key=model]", "")
        assert rows.count() == 1 and "with #hash?q" in rows.first.inner_text()
        link = rows.first.locator("a").first
        href = link.get_attribute("href")
        assert href == "with%20%23hash%3Fq/", href
        browser.close()
    assert not errors, errors


# Runs script wherever it lands unescaped: in HTML text, in an attribute (either quote),
# after the end of a <script> element, and inside a JavaScript string. No "=" in it, so
# it stays whole as an override's key.
PAYLOAD = "x\"-alert('PWNED')-\"'></script><script>alert('PWNED')</script>"
# Each place a string from a record or a folder name reaches the page, with a sweep that
# puts the payload there and nowhere else.
PLACES = {
    "override key (a numeric axis's chart id)": lambda p: [
        (i, [f"{p}={n}", "impl=layer"], 10.0 + i, {}) for i, n in enumerate((1, 2, 4))
    ],
    "override value (labels, table, headline)": lambda p: [
        (0, [f"model={p}"], 10.0, {}),
        (1, ["model=gru"], 12.0, {}),
    ],
    "metric name (axis titles, headline, header)": lambda p: [
        (i, [f"model={m}"], 10.0 + i, {"metrics": {"metric": p, f"val_{p}": 0.5 + i / 10}})
        for i, m in enumerate(("lstm", "gru"))
    ],
    "job folder name (links)": lambda p: [
        (p.replace("/", "|"), ["model=lstm"], 10.0, {}),
        (1, ["model=gru"], 12.0, {}),
    ],
    "error text (table)": lambda p: [
        (0, ["model=lstm"], 10.0, {}),
        (1, ["model=gru"], None, {"status": "failed", "error": p}),
    ],
    "launcher name (a note under the table)": lambda p: [
        (
            i,
            [f"model={m}"],
            10.0,
            {
                "env": {"launcher": {"name": p}},
                "timing": {"step_ms_median": 10.0, "fit_window": [float(i), 9.0 + i]},
            },
        )
        for i, m in enumerate(("lstm", "gru"))
    ],
}


def _sweep_with(sweep, jobs) -> None:
    from .records import seqlab_record

    for job, overrides, step_ms, extra in jobs:
        folder = sweep / str(job)
        folder.mkdir(parents=True)
        record = {
            "status": "ok",
            "overrides": overrides,
            "metrics": {"metric": "accuracy", "val_accuracy": 0.5},
            "timing": {"step_ms_median": step_ms},
            **extra,
        }
        (folder / "results.json").write_text(json.dumps(seqlab_record(record)))


def _ran_script(view, uri: str) -> bool:
    """Whether loading `uri` raised the payload's alert."""
    said: list[str] = []

    def on_dialog(dialog) -> None:
        said.append(dialog.message)
        dialog.dismiss()

    view.on("dialog", on_dialog)
    view.goto(uri, wait_until="load")
    view.wait_for_timeout(200)
    view.remove_listener("dialog", on_dialog)
    return "PWNED" in said


@pytest.mark.e2e
def test_no_string_from_a_record_or_a_folder_name_runs_as_script_in_the_page(tmp_path):
    """Each place a record's strings land (an id, an attribute, Plotly's script, JSON in a
    script, text) gets the payload alone; the payload is first shown to run when it lands
    raw in each kind of place, so a place left unescaped fails here."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from seqlab.reports.summary import write_summary

    raw = tmp_path / "raw"
    raw.mkdir()
    controls = {
        "text": f"<p>{PAYLOAD}</p>",
        "attribute": f'<div id="{PAYLOAD}"></div>',
        "script": f'<script type="application/json">{{"a": "{PAYLOAD}"}}</script>',
        "js string": f'<script>document.getElementById("{PAYLOAD}");</script>',
    }
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        view = browser.new_page()
        for kind, body in controls.items():
            page = raw / f"{kind.replace(' ', '_')}.html"
            page.write_text(f"<!doctype html><title>quiet</title>{body}")
            assert _ran_script(view, page.as_uri()), f"the payload is inert in {kind}"
        for place, jobs in PLACES.items():
            sweep = tmp_path / f"s{list(PLACES).index(place)}"
            _sweep_with(sweep, jobs(PAYLOAD))
            write_summary([sweep], sweep, baseline=None, chart=False)
            page = (sweep / "summary.html").read_text()
            assert "PWNED" in page, f"{place}: the payload never reached the page"
            ran = _ran_script(view, (sweep / "summary.html").as_uri())
            assert not ran, f"{place}: a record's string ran as script"
        browser.close()


def test_the_best_row_follows_the_direction_each_record_gives_never_across_metrics():
    """The headline decided 'higher is better' from the metric's name: with pixel_mse 0.05
    for lstm and 0.20 for gru it named gru the best; across mse and accuracy it took the
    max of both in the first row's direction."""

    def row(model, metric, value, higher):
        return {"overrides": {"model": model}, "job": model, "step_ms_median": None,
                "metric": metric, "val_metric": value, "higher_is_better": higher}  # fmt: skip

    rows = [row("lstm", "pixel_mse", 0.05, False), row("gru", "pixel_mse", 0.20, False)]
    assert headline(rows, ["model"], None, False)[1] == "Best validation pixel_mse: lstm, 0.05."
    mixed = [*rows, row("simple_rnn", "accuracy", 0.9, True), row("indrnn", "accuracy", 0.7, True)]
    said = headline(mixed, ["model"], None, False)
    assert said[1:] == ["Best validation pixel_mse: lstm, 0.05.",
                        "Best validation accuracy: simple_rnn, 0.9."]  # fmt: skip
    unknown = [{**r, "higher_is_better": None} for r in rows]  # older records: no guess
    assert len(headline(unknown, ["model"], None, False)) == 1


@pytest.mark.e2e
def test_the_growth_chart_draws_log_axes_and_a_fitted_line_over_the_points(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from seqlab.reports.summary import write_summary

    from .test_growth import _job

    sweep = tmp_path / "s"
    for number, length in enumerate((25, 50, 100, 200)):
        _job(sweep, number, [f"dataset.length={length}", "impl=layer"], 0.5 * length**1.1,
             1 + length / 100, 300 + length)  # fmt: skip
        _job(sweep, 10 + number, [f"dataset.length={length}", "impl=manual"], 0.3 * length**1.3,
             2 + length / 10, 320 + length)  # fmt: skip
    write_summary([sweep], sweep, baseline="impl=layer", chart=False)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        view = browser.new_page(viewport={"width": 1280, "height": 900})
        view.goto((sweep / "summary.html").as_uri(), wait_until="load")
        drawn = view.evaluate(
            """() => {
              const chart = document.getElementById("growth-0");
              const axes = ["xaxis", "xaxis2", "xaxis3", "yaxis", "yaxis2", "yaxis3"]
                .map(a => chart._fullLayout[a].type);
              const fits = chart.data.filter(t => t.meta === "fit").length;
              const lines = [...chart.querySelectorAll(".scatterlayer .js-line")]
                .filter(p => (p.getAttribute("d") || "").length > 10).length;
              const points = chart.querySelectorAll(".scatterlayer .point").length;
              return {axes, fits, lines, points};
            }"""
        )
        view.screenshot(path=str(tmp_path / "growth.png"), full_page=True)
        browser.close()
    assert set(drawn["axes"]) == {"log"}, drawn
    assert drawn["fits"] == 6 and drawn["lines"] >= 6, drawn  # 2 curves x 3 figures
    assert drawn["points"] == 24, drawn  # 4 sizes x 2 curves x 3 figures


def _rows(n, busy=(), metric="accuracy", higher=True):
    return [
        {"overrides": {"model": f"m{i}"}, "job": str(i), "step_ms_median": 10.0 + (i * 7) % n,
         "step_ms_median_ci95": 0.5, "busy": i in busy, "metric": metric,
         "val_metric": 0.5 + ((i * 3) % n) / (10 * n), "val_metric_ci95": 0.01,
         "higher_is_better": higher}
        for i in range(n)
    ]  # fmt: skip


def test_the_step_chart_draws_the_fastest_first_busy_bars_red_and_says_what_it_left_out():
    import plotly.graph_objects as go

    from seqlab.reports.page.charts import MAX_DRAWN, step_chart

    rows = _rows(5, busy={2})
    chart = step_chart(go, rows, ["model"], grouped=True)
    (bar,) = chart.figure.data
    assert list(bar.x) == sorted(r["step_ms_median"] for r in rows)  # fastest on top
    busy_at = list(bar.y).index("m2")
    assert bar.marker.color[busy_at] == "#c44e52" and bar.marker.color.count("#c44e52") == 1
    assert bar.error_x.visible is True and "95 % interval" in chart.note
    assert "Red: measured on a busy machine" in chart.note
    assert step_chart(go, rows, ["model"], grouped=False).figure.data[0].error_x.visible is False
    many = step_chart(go, _rows(MAX_DRAWN + 7), ["model"], grouped=False)
    assert len(many.figure.data[0].x) == MAX_DRAWN
    assert many.note.startswith("7 configurations in the middle of the ranking are not drawn")
    assert step_chart(go, [{**rows[0], "step_ms_median": None}], ["model"], False) is None
    # Each bar's interval is its own row's; a row without one draws none, not a made-up one.
    rows[1]["step_ms_median_ci95"] = None
    (bar,) = step_chart(go, rows, ["model"], grouped=True).figure.data
    said = {r["overrides"]["model"]: r["step_ms_median_ci95"] or 0.0 for r in rows}
    assert list(bar.error_x.array) == [said[name] for name in bar.y]


def test_the_tradeoff_chart_marks_what_nothing_beats_in_the_tasks_own_direction():
    import plotly.graph_objects as go

    from seqlab.reports.page.charts import pareto_front, tradeoff_chart

    for higher in (True, False):
        rows = _rows(9, higher=higher)
        chart = tradeoff_chart(go, rows, ["model"], True, "accuracy", higher, "")
        beaten, front, line = chart.figure.data
        points = [(r["step_ms_median"], r["val_metric"], i) for i, r in enumerate(rows)]
        expected = pareto_front(points, higher)
        assert sorted(front.text) == sorted(f"m{i}" for i in expected)
        assert front.marker.symbol == "diamond" and beaten.marker.symbol == "circle"
        assert list(line.x) == sorted(front.x)  # the front joined, fastest first
        said = "higher is better" if higher else "lower is better"
        assert said in chart.figure.layout.yaxis.title.text
        assert chart.note.startswith(f"{len(expected)} configuration(s) nothing beats")
    assert tradeoff_chart(go, _rows(3), ["model"], True, "accuracy", None, "") is None


def test_the_learning_curves_are_the_mean_over_seeds_of_the_best_configurations(tmp_path):
    import plotly.graph_objects as go

    from seqlab.reports.page.charts import MAX_CURVES, curves_chart

    rows = []
    for i in range(MAX_CURVES + 2):
        for seed in (1, 2):
            folder = tmp_path / f"{i}-{seed}"
            folder.mkdir()
            lines = "epoch,val_accuracy\n" + "".join(
                f"{e},{0.1 * e + i / 100 + seed / 1000}\n" for e in (1, 2, 3)
            )
            (folder / "history.csv").write_text(lines)
        rows.append(
            {"overrides": {"model": f"m{i}"}, "job": f"{i}-1,{i}-2", "sweep": str(tmp_path),
             "metric": "accuracy", "val_metric": i / 100, "higher_is_better": True}
        )  # fmt: skip
    chart = curves_chart(go, rows, ["model"], True, "accuracy", True, "", [tmp_path])
    assert len(chart.figure.data) == MAX_CURVES
    best = chart.figure.data[0]
    assert best.name == f"m{MAX_CURVES + 1}"  # the best first, in the task's direction
    top = MAX_CURVES + 1
    assert list(best.y) == pytest.approx([0.1 * e + top / 100 + 0.0015 for e in (1, 2, 3)])
    assert f"The {MAX_CURVES} best configurations of {MAX_CURVES + 2}" in chart.note
    lower = curves_chart(go, rows, ["model"], True, "accuracy", False, "", [tmp_path])
    assert lower.figure.data[0].name == "m0"


def test_past_eight_comparisons_the_headline_counts_them_and_names_the_extremes():
    rows = [_group("base", 1.0, None, None, None)]
    rows += [_group(f"m{i}", 0.5 + i / 10, 0.4 + i / 10, 0.6 + i / 10, i % 3 == 0)
             for i in range(12)]  # fmt: skip
    said = headline(rows, ["model"], "model=base", grouped=True)
    assert said[0].startswith("12 configurations against model=base: 2 faster and 2 slower")
    assert "8 within it or without an interval" in said[0]
    assert said[1].startswith("m11 vs base (baseline): 1.60x faster") and len(said) == 9
    assert said[-1].startswith("m0 vs base (baseline): 2.00x slower")
    one = {**_group("gru", 1.1, 1.05, 1.15, None), "speedup_n": None}
    assert headline([rows[0], one], ["model"], "model=base", True)[0].endswith(
        "1.10x faster [1.05, 1.15], within one pair of processes (decides nothing)."
    )
    single = {**_group("gru", 0.8, None, None, None), "same_start": "no: weights",
              "stopped": "cap of 10 rounds"}  # fmt: skip
    assert headline([rows[0], single], ["model"], "model=base", True) == [
        "gru vs base (baseline): 1.25x slower, one run each (repeats=N or auto gives an "
        "interval); started differently (weights); stopped: cap of 10 rounds."
    ]
    assert headline([rows[0]], ["model"], "model=base", True) == [
        "No configuration has a matching baseline (model=base)."
    ]
    quick = {**_group("b", 1, 0, 0, 0), "step_ms_median": 5.0}
    fastest = headline([_group("a", 1, 0, 0, 0), quick], ["model"], None, False)
    assert fastest[0] == "Fastest: b, 5 ms per step."


def test_the_pages_table_data_says_what_is_numeric_where_each_job_lies_and_its_error(tmp_path):
    from seqlab.reports.summary import write_summary

    from .test_summary import write_job

    sweep = tmp_path / "s"
    write_job(sweep, 0, ["model=lstm"], 10.0)
    write_job(sweep, "a b", ["model=gru"], None, status="failed")
    record = json.loads((sweep / "a b" / "results.json").read_text())
    (sweep / "a b" / "results.json").write_text(json.dumps({**record, "error": "boom <b>"}))
    write_summary([sweep], sweep, chart=False)
    page = (sweep / "summary.html").read_text()
    text = page.split('<script type="application/json" id="data">')[1].split("</script>")[0]
    data = json.loads(text)
    at = data["header"].index
    assert data["numeric"][at("step_ms_median")] and not data["numeric"][at("model")]
    assert data["links"] == [["0/"], ["a%20b/"]] and data["keys"] == ["model"]
    assert data["status"] == ["ok", "failed"] and data["errors"] == ["", "boom <b>"]
    assert data["cells"][1][at("error")] == "boom <b>" and "<b>" not in text  # escaped
    assert "How do the configurations" not in page and "Which configuration of model" in page
    assert "<span class='count ok'>1 ok</span>" in page and "count failed" in page


def _page_data(page: str) -> dict:
    text = page.split('<script type="application/json" id="data">')[1].split("</script>")[0]
    return json.loads(text)


def test_merged_sweeps_link_each_job_into_its_own_folder_and_a_baseline_is_the_question(
    tmp_path,
):
    from seqlab.reports.summary import write_summary

    from .test_summary import write_job

    first, second, out = tmp_path / "one", tmp_path / "two", tmp_path / "both"
    write_job(first, 0, ["model=lstm"], 10.0)
    write_job(second, 0, ["model=gru"], 5.0)
    out.mkdir()
    write_summary([first, second], out, baseline="model=lstm", chart=False)
    page = (out / "summary.html").read_text()
    data = _page_data(page)
    assert sorted(data["links"]) == [["../one/0/"], ["../two/0/"]]  # not ../both/0/
    assert "How do the configurations of model compare with model=lstm?" in page
    at = data["header"].index
    speedups = {row[at("model")]: row[at("speedup")] for row in data["cells"]}
    # A baseline pairs within its own sweep folder only: the other folder's gru has none.
    assert speedups == {"lstm": 1.0, "gru": None}
    # Nothing measured, nothing drawn: the page says so and loads no chart library.
    write_job(tmp_path / "none", 0, ["model=lstm"], None, status="failed")
    write_summary([tmp_path / "none"], tmp_path / "none")
    empty = (tmp_path / "none" / "summary.html").read_text()
    assert "plotly.min.js" not in empty and "No chart: nothing was measured." in empty
    assert "plotly.min.js" in page  # where something was measured, it is


@pytest.mark.parametrize("place", list(PLACES))
def test_a_records_markup_never_reaches_the_page_as_markup(tmp_path, place):
    """The fast tier's half of the browser test above: wherever the payload lands, the
    page holds it only in an escaped form (its closing and opening tags never appear as
    written), so a place left unescaped fails here without a browser."""
    from seqlab.reports.summary import write_summary

    sweep = tmp_path / "s"
    _sweep_with(sweep, PLACES[place](PAYLOAD))
    write_summary([sweep], sweep, baseline=None, chart=False)
    page = (sweep / "summary.html").read_text()
    assert "PWNED" in page, "the payload never reached the page"
    assert "<script>alert('PWNED')" not in page
    assert "'></script>" not in page


def test_the_pages_charts_draw_intervals_only_for_groups_of_seeds(tmp_path):
    """`charts` hands the table's grouping to the step chart: bars of single runs have no
    interval to show."""
    from seqlab.reports.page.charts import charts

    def drawn(grouped):
        return {title: html for title, _, html in charts(_rows(3), ["model"], [tmp_path], grouped)}

    assert '"visible":true' in drawn(True)["Step time per configuration"]
    assert '"visible":false' in drawn(False)["Step time per configuration"]
