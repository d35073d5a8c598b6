"""The migration report: for every pipeline, whether it validates, what each object and field
becomes (native, approximated, ignored), what needs the user's action, and a readiness verdict.

Pure (no Airflow, no boto3): ``dp-airflow report`` renders it as text, JSON, Markdown or one
self-contained HTML file; the Data Pipelines view shows the same facts.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dp_airflow.discovery import (
    FOLDER_DEFINITION,
    FOLDER_RECORD,
    Discovery,
    PipelineSource,
    companions_beside,
    discover,
)
from dp_airflow.plan.translation import (
    Outcome,
    broken_from,
    translate_validated,
    validate_source,
)
from dp_airflow.ui.catalog import PipelineView, pipelines, views_of

DATABASE_TYPES = frozenset({"JdbcDatabase", "RdsDatabase", "RedshiftDatabase"})
_SHELL_TOOLS = re.compile(r"(?:^|[;&|]\s*|\$\(\s*)([a-z][a-z0-9_.-]*)")
_BUILTIN = frozenset(
    [
        "echo",
        "cd",
        "export",
        "set",
        "if",
        "then",
        "fi",
        "for",
        "do",
        "done",
        "exit",
        "true",
        "false",
        "test",
        "cat",
        "mkdir",
        "rm",
        "cp",
        "mv",
        "grep",
        "sed",
        "awk",
        "sleep",
        "ls",
        "date",
        "bash",
        "sh",
        "wc",
        "head",
        "tail",
        "sort",
        "tr",
        "cut",
        "touch",
        "gzip",
        "find",
        "uniq",
        "xargs",
        "basename",
        "dirname",
        "env",
        "printf",
        "tee",
        "zcat",
        "gunzip",
        "chmod",
    ]
)
"""Shell built-ins and coreutils: every worker has them."""


@dataclass
class PipelineReport:
    """One pipeline's migration report: its view, verdict, actions and notes."""

    view: PipelineView
    actions: list[str] = field(default_factory=list)
    verdict: str = "ready"
    """``ready``, ``needs action`` or ``blocked``."""
    notes: list[str] = field(default_factory=list)
    """What to know that needs no action everywhere (the queues workers must serve)."""

    def to_json(self) -> dict[str, Any]:
        counts = Counter(f["treatment"] for o in self.view.objects for f in o.fields)
        return {
            **self.view.summary(),
            "verdict": self.verdict,
            "actions": self.actions,
            "notes": self.notes,
            "rendered": self.view.rendered,
            "fields": dict(counts),
            "objects": [
                {"id": o.id, "type": o.type, "became": o.became, "fields": o.fields}
                for o in self.view.objects
            ],
        }


def report(paths: list[str]) -> list[PipelineReport]:
    """A report per pipeline found under ``paths`` (files or folders, imports included)."""
    found = Discovery()
    for name in paths:
        path = Path(name)
        if path.is_dir():
            if (path / FOLDER_DEFINITION).is_file():
                found.sources += discover(
                    path.parent, [path / FOLDER_DEFINITION, *path.iterdir()]
                ).sources
            else:
                found.sources += discover(path, [p for p in path.rglob("*") if p.is_file()]).sources
        else:
            found.sources += discover(path.parent, [path, *_companions(path)]).sources
    return [_pipeline(view) for view in pipelines(found)]


def _companions(path: Path) -> list[Path]:
    return [p for p in companions_beside(path) if p.is_file()]


def _pipeline(view: PipelineView) -> PipelineReport:
    result = PipelineReport(view)
    if view.state == "broken":
        errors = sum(d["severity"] == "error" for d in view.diagnostics)
        if errors:
            result.actions.append(
                f"fix {errors} validation error(s) (dp-airflow validate {view.file})"
            )
        else:  # it validates but cannot be translated (a schedule without its value, ...)
            why = view.rendered[-1].splitlines()[0] if view.rendered else "it cannot be loaded"
            result.actions.append(f"fix: {why}")
    result.actions += _parameter_actions(view)
    result.actions += _object_actions(view, result)
    result.actions += _secrets_not_imported(view)
    for d in view.diagnostics:
        if d["code"] == "emr-retired":
            result.actions.append(f"{d['object_id']}.{d['field']}: {d['message']}")
    if tools := _tools(view):
        result.actions.append("workers need these commands: " + ", ".join(sorted(tools)))
    if queues := sorted({b["queue"] for o in view.objects for b in o.became} - {"default"}):
        names = ",".join(queues)
        result.notes.append(
            f"workerGroup queues {names}: under the CeleryExecutor a worker must serve them "
            f"(airflow celery worker --queues {names},default) or their tasks stay queued; "
            "the LocalExecutor runs every queue"
        )
    if view.state == "broken":
        result.verdict = "blocked"
    elif result.actions and result.verdict == "ready":
        result.verdict = "needs action"
    return result


def _parameter_actions(view: PipelineView) -> list[str]:
    actions = []
    for parameter in view.parameters:
        name = f"{view.dag_id}__{parameter['id'].removeprefix('*')}"
        if parameter["source"].startswith("none"):
            where = (
                "an Airflow Variable"
                if parameter["id"].startswith("*")
                else ("a values file or an Airflow Variable")
            )
            actions.append(f"give parameter {parameter['id']} a value: {where} ({name})")
        elif parameter["id"].startswith("*") and parameter["value"]:
            actions.append(
                f"keep secret {parameter['id']} out of files: the Airflow Variable {name}"
            )
    return actions


def _object_actions(view: PipelineView, result: PipelineReport) -> list[str]:
    actions = []
    for obj in view.objects:
        if obj.type in DATABASE_TYPES:
            actions.append(
                f"create the Airflow connection {view.dag_id}__{obj.id} (or {obj.id}) for "
                f"database {obj.id}, or keep its fields"
            )
            url = next((f for f in obj.fields if f["name"] == "connectionString"), None)
            if url is not None and "oracle" in view.source.lower():
                actions.append(f"{obj.id}: Oracle databases are not run by dp-airflow yet")
        if any(b["operator"] == "UnsupportedObjectOperator" for b in obj.became):
            actions.append(f"{obj.id} ({obj.type}) is not run by dp-airflow: rewrite it")
            result.verdict = "blocked"
    return actions


def _secrets_not_imported(view: PipelineView) -> list[str]:
    """Literal ``*`` field values ``dp-airflow import`` left out (its ``pipeline.json``)."""
    record = Path(view.file).parent / FOLDER_RECORD
    if Path(view.file).name != FOLDER_DEFINITION or not record.is_file():
        return []
    try:
        left_out = json.loads(record.read_text()).get("secretsNotWritten") or []
    except (OSError, ValueError):
        return []
    actions = []
    for name in left_out:
        object_id, _, key = str(name).partition(".")
        if not key:
            continue  # a parameter: named by the parameter actions
        actions.append(
            f"{name} was not imported (a secret): for a database, give it in the Airflow "
            f"connection {view.dag_id}__{object_id}; otherwise write it as #{{*myParameter}} "
            f"and give that parameter an Airflow Variable"
        )
    return actions


def _tools(view: PipelineView) -> set[str]:
    """Commands the shell activities call beyond the shell's basics (workers must have them)."""
    text = view.source
    found: set[str] = set()
    for match in re.finditer(r'"command"\s*:\s*"((?:[^"\\]|\\.)*)"', text):
        for tool in _SHELL_TOOLS.findall(match.group(1)):
            if tool not in _BUILTIN and not tool.startswith("$"):
                found.add(tool)
    return found


# -- rendering ----------------------------------------------------------------------------------


def render(reports: list[PipelineReport], output: str) -> str:
    """The reports as text, JSON, Markdown or HTML (``output``)."""
    if output == "json":
        return json.dumps(
            {"summary": summary(reports), "pipelines": [r.to_json() for r in reports]}, indent=2
        )
    if output == "markdown":
        return _markdown(reports)
    if output == "html":
        return _html(reports)
    return _text(reports)


def summary(reports: list[PipelineReport]) -> dict[str, Any]:
    """Counts over all reports: verdicts, field treatments and object types."""
    verdicts = Counter(r.verdict for r in reports)
    treatments = Counter(f["treatment"] for r in reports for o in r.view.objects for f in o.fields)
    types = Counter(o.type for r in reports for o in r.view.objects)
    return {
        "pipelines": len(reports),
        "verdicts": dict(verdicts),
        "fields": dict(treatments),
        "objects_by_type": dict(sorted(types.items())),
    }


def _text(reports: list[PipelineReport]) -> str:
    lines = []
    for r in reports:
        counts = ", ".join(f"{n} {t}" for t, n in sorted(r.view.object_counts.items()))
        fields = Counter(f["treatment"] for o in r.view.objects for f in o.fields)
        lines.append(f"{r.view.dag_id}: {r.verdict.upper()} ({r.view.state}) {r.view.file}")
        lines.append(f"  objects: {counts}")
        lines.append(
            "  fields: "
            + ", ".join(f"{fields[t]} {t}" for t in ("native", "approximated", "ignored"))
        )
        for obj in r.view.objects:
            for f in obj.fields:
                if f["treatment"] != "native":
                    lines.append(f"    {obj.id}.{f['name']}: {f['treatment']}: {f['reason']}")
        lines += [f"  action: {a}" for a in r.actions]
        lines += [f"  note: {n}" for n in r.notes]
        if r.view.state == "broken":
            lines += [f"  | {line}" for d in r.view.rendered for line in d.splitlines()]
    s = summary(reports)
    lines.append(
        f"{s['pipelines']} pipeline(s): "
        + ", ".join(f"{n} {v}" for v, n in sorted(s["verdicts"].items()))
    )
    return "\n".join(lines)


def _markdown(reports: list[PipelineReport]) -> str:
    s = summary(reports)
    out = [
        "# Migration report",
        "",
        "| pipeline | verdict | state | objects | actions |",
        "|---|---|---|---|---|",
    ]
    for r in reports:
        objects = ", ".join(f"{n} {t}" for t, n in sorted(r.view.object_counts.items()))
        out.append(
            f"| {r.view.dag_id} | {r.verdict} | {r.view.state} | {objects} | {len(r.actions)} |"
        )
    out += ["", f"{s['pipelines']} pipeline(s); fields: {s['fields']}", ""]
    for r in reports:
        out += ["", *pipeline_markdown(r, heading="##")]
    return "\n".join(out)


def pipeline_markdown(r: PipelineReport, heading: str = "##") -> list[str]:
    """One pipeline's report in Markdown: the report's section and the DAG's docs."""
    out = [f"{heading} Migration report: {r.view.dag_id}", "", f"`{r.view.file}`: **{r.verdict}**"]
    out += ["", *(f"- {a}" for a in r.actions)] if r.actions else []
    out += ["", *(f"- note: {n}" for n in r.notes)] if r.notes else []
    if r.view.state == "broken" and r.view.rendered:
        out += ["", "```", *r.view.rendered, "```"]
    out += ["", "| object | field | treatment | what dp-airflow does |", "|---|---|---|---|"]
    for obj in r.view.objects:
        out += [
            f"| {obj.id} | {f['name']} | {f['treatment']} | {_cell(f['reason'])} |"
            for f in obj.fields
        ]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _html(reports: list[PipelineReport]) -> str:
    from dp_airflow.ui.pages import STYLE, field_table

    parts = [
        "<h1>Migration report</h1>",
        "<table><tr><th>pipeline</th><th>verdict</th>"
        "<th>state</th><th>objects</th><th>actions</th></tr>",
    ]
    for r in reports:
        objects = ", ".join(f"{n} {t}" for t, n in sorted(r.view.object_counts.items()))
        actions = "<br>".join(html.escape(a) for a in r.actions) or "none"
        parts.append(
            f"<tr><td><a href='#{html.escape(r.view.dag_id)}'>{html.escape(r.view.dag_id)}</a></td>"
            f"<td>{html.escape(r.verdict)}</td><td class='{r.view.state}'>{r.view.state}</td>"
            f"<td>{html.escape(objects)}</td><td>{actions}</td></tr>"
        )
    parts.append("</table>")
    for r in reports:
        parts.append(f"<h2 id='{html.escape(r.view.dag_id)}'>{html.escape(r.view.dag_id)}</h2>")
        parts.append(f"<p><code>{html.escape(r.view.file)}</code>: <b>{r.verdict}</b></p>")
        items = [*r.actions, *(f"note: {n}" for n in r.notes)]
        if items:
            parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
        if r.view.rendered:
            parts.append(f"<pre>{html.escape(chr(10).join(r.view.rendered))}</pre>")
        parts.append(field_table(r.view.objects, "reason"))
    body = "".join(parts)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Migration report</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


# -- the DAG's docs -----------------------------------------------------------------------------


def documented_outcome(source: PipelineSource) -> Outcome:
    """``outcome_of(source)`` with each DAG's docs ending in its pipeline's migration report
    (what the dags-folder loader builds and caches)."""
    from dp_airflow.errors import DefinitionError

    try:
        result = validate_source(source)
        translation = translate_validated(source.dag_id, result)
    except DefinitionError as exc:
        return broken_from(exc)
    views = views_of(source, result, translation)
    return [
        (
            replace(spec, doc_md="\n".join([spec.doc_md, "", *pipeline_markdown(_pipeline(view))])),
            runtime,
        )
        for (spec, runtime), view in zip(translation, views, strict=True)
    ]
