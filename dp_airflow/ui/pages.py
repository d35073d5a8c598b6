"""The Data Pipelines view's HTML: a list page and a pipeline page, server-rendered, no script.

Everything shown is escaped; secret values never reach these functions (the catalogue masks
them first).
"""

from __future__ import annotations

import html
import re

from dp_airflow.ui.catalog import ObjectView, PipelineView

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1a202c}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #e2e8f0;padding:.35rem .5rem;text-align:left;vertical-align:top}
.valid{color:#276749}.warnings{color:#975a16}.broken{color:#c53030;font-weight:600}
pre{background:#f7fafc;border:1px solid #e2e8f0;padding:.6rem;overflow:auto;font-size:.82rem;
white-space:pre-wrap;word-break:break-word}
.k{color:#2b6cb0}.s{color:#276749}.x{color:#805ad5;font-weight:600}
.native{color:#276749}.approximated{color:#975a16}.ignored{color:#718096}
nav a{margin-right:.8rem}
"""


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def list_page(views: list[PipelineView], runs: dict[str, str], state: str | None) -> str:
    """Every pipeline the user may read; ``state`` filters (valid, warnings, broken)."""
    shown = [v for v in views if state is None or v.state == state]
    counts = {s: sum(v.state == s for v in views) for s in ("valid", "warnings", "broken")}
    filters = " ".join(
        f"<a href='?state={s}'>{s} ({counts[s]})</a>" for s in ("valid", "warnings", "broken")
    )
    rows = []
    for view in shown:
        objects = ", ".join(f"{n} {t}" for t, n in sorted(view.object_counts.items()))
        problems = ""
        if view.state == "broken":
            problems = f"<pre>{html.escape(chr(10).join(view.rendered))}</pre>"
        rows.append(
            "<tr>"
            f"<td><a href='dags/{html.escape(view.dag_id)}'>{html.escape(view.dag_id)}</a>"
            f" (<a href='../dags/{html.escape(view.dag_id)}'>DAG</a>)</td>"
            f"<td>{html.escape(view.file)}</td>"
            f"<td class='{view.state}'>{view.state}</td>"
            f"<td>{html.escape(objects)}</td>"
            f"<td>{html.escape(view.schedule)}</td>"
            f"<td>{html.escape(runs.get(view.dag_id, 'no run'))}</td>"
            f"<td>{problems}</td></tr>"
        )
    body = (
        "<h1>Data Pipelines</h1>"
        f"<nav><a href='?'>all ({len(views)})</a> {filters}</nav>"
        "<table><tr><th>DAG id</th><th>file</th><th>state</th><th>objects</th>"
        "<th>schedule</th><th>last run</th><th>diagnostics</th></tr>" + "".join(rows) + "</table>"
    )
    return _page("Data Pipelines", body)


def pipeline_page(view: PipelineView, last_run: str) -> str:
    """The HTML of one pipeline: diagnostics, objects, fields and their treatment."""
    parts = [
        f"<h1>{html.escape(view.dag_id)} <span class='{view.state}'>({view.state})</span></h1>",
        f"<p>{html.escape(view.file)} · schedule: {html.escape(view.schedule or '-')} · "
        f"last run: {html.escape(last_run)} · <a href='../../dags/{html.escape(view.dag_id)}'>"
        "the DAG</a> · <a href='../'>all pipelines</a></p>",
    ]
    if view.rendered:
        parts += ["<h2>Diagnostics</h2>", f"<pre>{html.escape(chr(10).join(view.rendered))}</pre>"]
    parts.append("<h2>Objects</h2><table><tr><th>object</th><th>type</th><th>became</th></tr>")
    for obj in view.objects:
        became = (
            "<br>".join(
                html.escape(
                    f"{t['task_id']}: {t['operator']} (queue {t['queue']}, retries {t['retries']})"
                )
                for t in obj.became
            )
            or "no task of its own"
        )
        parts.append(
            f"<tr><td>{html.escape(obj.id)}</td><td>{html.escape(obj.type)}</td>"
            f"<td>{became}</td></tr>"
        )
    parts.append("</table>")
    if view.parameters:
        parts.append(
            "<h2>Parameters</h2><table><tr><th>parameter</th><th>value</th>"
            "<th>comes from</th><th>Airflow Variable</th></tr>"
        )
        for p in view.parameters:
            parts.append(
                f"<tr><td>{html.escape(p['id'])}</td>"
                f"<td>{html.escape(', '.join(p['value']))}</td>"
                f"<td>{html.escape(p['source'])}</td>"
                f"<td>{html.escape(p['variable'].replace('<dag id>', view.dag_id))}</td></tr>"
            )
        parts.append("</table>")
    parts += ["<h2>Translation report</h2>", field_table(view.objects, "what dp-airflow does")]
    parts += ["<h2>Definition</h2>", f"<pre>{highlight(view.source)}</pre>"]
    return _page(f"{view.dag_id} · Data Pipelines", "".join(parts))


_TOKEN = re.compile(r'("(?:[^"\\]|\\.)*")(\s*:)?')
_EXPRESSION = re.compile(r"#\{[^}]*\}")


def highlight(text: str) -> str:
    """JSON (or YAML) with keys, strings and ``#{...}`` expressions coloured; escaped."""

    def token(match: re.Match[str]) -> str:
        string, colon = match.group(1), match.group(2)
        escaped = html.escape(string)
        if colon:
            return f"<span class='k'>{escaped}</span>{colon}"
        marked = _EXPRESSION.sub(lambda m: f"<span class='x'>{m.group(0)}</span>", escaped)
        return f"<span class='s'>{marked}</span>"

    out, last = [], 0
    for match in _TOKEN.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(token(match))
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def field_table(objects: list[ObjectView], reason_heading: str) -> str:
    """Every field of ``objects`` with its treatment and reason, as an HTML table."""
    rows = [
        f"<tr><td>{html.escape(obj.id)}</td><td>{html.escape(f['name'])}</td>"
        f"<td class='{f['treatment']}'>{f['treatment']}</td>"
        f"<td>{html.escape(f['reason'])}</td></tr>"
        for obj in objects
        for f in obj.fields
    ]
    heading = (
        "<tr><th>object</th><th>field</th><th>treatment</th>"
        f"<th>{html.escape(reason_heading)}</th></tr>"
    )
    return f"<table>{heading}{''.join(rows)}</table>"
