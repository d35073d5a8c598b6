"""``dp-airflow runs`` and ``dp-airflow activate``: Data Pipeline's ``list-runs`` and
``activate-pipeline`` on top of a running Airflow's REST API, where Airflow itself needs several
calls. No Airflow import: the commands talk HTTP only.

Authentication, as Airflow's own remote client (``airflowctl``) does: a JWT from
``AIRFLOW_API_TOKEN`` (or ``--token``), else one asked of ``POST /auth/token`` with
``--username``/``--password`` (``AIRFLOW_API_USERNAME``/``AIRFLOW_API_PASSWORD``), else the
credential-less token an all-admins simple auth manager hands out. The API's address:
``--api-url`` or ``AIRFLOW_API_URL`` (default ``http://127.0.0.1:8080``).
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from typing import Any, TextIO

STATUS_NAMES = (
    "FINISHED",
    "FAILED",
    "CASCADE_FAILED",
    "RUNNING",
    "WAITING_FOR_RUNNER",
    "WAITING_ON_DEPENDENCIES",
    "SKIPPED",
    "CANCELED",
)


class ApiError(Exception):
    """The Airflow API refused a call (the method, path, status and Airflow's message)."""


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``runs``, ``activate`` and ``deactivate`` subcommands."""
    runs = commands.add_parser(
        "runs",
        help="list a pipeline's object instances with Data Pipeline's status names",
        description="Data Pipeline's list-runs for a DAG of a running Airflow: one line per "
        "object instance (task instance) with its scheduled start, status name, instance id, "
        "start and end. Exit 0, or 2 when the API cannot be reached or refuses.",
    )
    runs.add_argument("dag_id", metavar="DAG_ID")
    runs.add_argument(
        "--status",
        action="append",
        default=[],
        metavar="STATUS",
        help=f"only these statuses ({', '.join(STATUS_NAMES)}; case-insensitive, repeatable)",
    )
    runs.add_argument(
        "--start-interval",
        metavar="FROM,TO",
        help="instances that started in this interval (UTC)",
    )
    runs.add_argument(
        "--schedule-interval",
        metavar="FROM,TO",
        help="instances scheduled to start in this interval (UTC)",
    )
    runs.add_argument("--limit", type=int, default=100, help="at most this many DAG runs")
    runs.add_argument("--format", choices=("text", "json"), default="text")
    _connection_flags(runs)

    activate = commands.add_parser(
        "activate",
        help="unpause a pipeline, optionally from a start time and with parameter values",
        description="Data Pipeline's activate-pipeline: --parameter-values are stored as the "
        "Airflow Variables <dag id>__<id> (what the pipeline's runs read, '*' ids included), the "
        "DAG is unpaused, and --start-timestamp backfills its runs from that time to now.",
    )
    activate.add_argument("dag_id", metavar="DAG_ID")
    activate.add_argument("--start-timestamp", metavar="DATETIME", help="backfill from here (UTC)")
    activate.add_argument(
        "--parameter-values", nargs="+", action="extend", default=[], metavar="ID=VALUE"
    )
    _connection_flags(activate)

    deactivate = commands.add_parser(
        "deactivate",
        help="pause a pipeline (Data Pipeline's deactivate-pipeline)",
        description="Pause the DAG: no new run starts; runs in flight finish.",
    )
    deactivate.add_argument("dag_id", metavar="DAG_ID")
    _connection_flags(deactivate)


def _connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-url", default=os.environ.get("AIRFLOW_API_URL"))
    parser.add_argument("--token", default=os.environ.get("AIRFLOW_API_TOKEN"))
    parser.add_argument("--username", default=os.environ.get("AIRFLOW_API_USERNAME"))
    parser.add_argument("--password", default=os.environ.get("AIRFLOW_API_PASSWORD"))


class Api:
    """A small client of Airflow's REST API (``/api/v2``) with a JWT."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.base = (args.api_url or "http://127.0.0.1:8080").rstrip("/")
        self.token = args.token or self._login(args.username, args.password)

    def _login(self, username: str | None, password: str | None) -> str:
        if username:
            body = {"username": username, "password": password or ""}
            answer = self._send("POST", "/auth/token", body, auth=False)
        else:
            answer = self._send("GET", "/auth/token", None, auth=False)
        return str(answer["access_token"])

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._send(method, path, body, auth=True)

    def _send(self, method: str, path: str, body: Any, auth: bool) -> Any:
        import urllib.error
        import urllib.request

        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise ApiError(f"{method} {path}: HTTP {exc.code}: {detail}") from None
        except OSError as exc:
            raise ApiError(f"{method} {path}: cannot reach {self.base}: {exc}") from None
        return json.loads(text) if text else None


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run an operating command against Airflow's REST API; the exit code."""
    try:
        api = Api(args)
        if args.command == "runs":
            return _runs(api, args, out)
        if args.command == "deactivate":
            api.call("PATCH", f"/api/v2/dags/{_q(args.dag_id)}", {"is_paused": True})
            print(f"{args.dag_id}: paused", file=out)
            return 0
        return _activate(api, args, out)
    except (ApiError, ValueError) as exc:
        print(f"dp-airflow {args.command}: {exc}", file=err)
        return 2


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _interval(text: str | None, option: str) -> tuple[datetime, datetime] | None:
    if not text:
        return None
    start, sep, end = text.partition(",")
    if not sep:
        raise ValueError(f"{option} takes FROM,TO")
    return _moment(start), _moment(end)


def _moment(text: str) -> datetime:
    """A time given on the command line, in UTC (a time without an offset is UTC)."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _runs(api: Api, args: argparse.Namespace, out: TextIO) -> int:
    from dp_airflow.runtime.attempt_fields import status_in_run

    wanted = {s.upper() for s in args.status}
    unknown = wanted - set(STATUS_NAMES)
    if unknown:
        raise ValueError(f"unknown status {', '.join(sorted(unknown))}")
    query: dict[str, Any] = {"limit": args.limit, "order_by": "logical_date"}
    if scheduled := _interval(args.schedule_interval, "--schedule-interval"):
        query.update(
            logical_date_gte=scheduled[0].isoformat(), logical_date_lte=scheduled[1].isoformat()
        )
    dag = _q(args.dag_id)
    from urllib.parse import urlencode

    runs = api.call("GET", f"/api/v2/dags/{dag}/dagRuns?{urlencode(query)}")
    tasks = api.call("GET", f"/api/v2/dags/{dag}/tasks")["tasks"]
    upstream: dict[str, set[str]] = {}
    for task in tasks:
        for down in task.get("downstream_task_ids", []):
            upstream.setdefault(down, set()).add(task["task_id"])
    cascading = {t["task_id"] for t in tasks if t.get("trigger_rule") == "all_done"}
    started = _interval(args.start_interval, "--start-interval")
    rows = []
    for dag_run in runs["dag_runs"]:
        run_id = _q(dag_run["dag_run_id"])
        path = f"/api/v2/dags/{dag}/dagRuns/{run_id}/taskInstances?limit=1000"
        instances = api.call("GET", path)["task_instances"]
        states = {ti["task_id"]: ti["state"] for ti in instances}
        scheduled_start = (
            dag_run.get("data_interval_start")
            or dag_run.get("logical_date")
            or dag_run.get("run_after")
        )
        for ti in instances:
            task_id = ti["task_id"]
            status = status_in_run(states, task_id, upstream.get(task_id, ()), task_id in cascading)
            if wanted and status not in wanted:
                continue
            began = ti.get("start_date")
            if started and not (began and started[0] <= _parsed(began) <= started[1]):
                continue
            rows.append(
                {
                    "name": ti.get("task_display_name") or ti["task_id"],
                    "scheduledStartTime": _short(scheduled_start),
                    "status": status,
                    "id": f"@{ti['task_id']}_{_short(scheduled_start)}",
                    "startedTime": _short(ti.get("start_date")),
                    "endedTime": _short(ti.get("end_date")),
                    "runId": dag_run["dag_run_id"],
                }
            )
    if args.format == "json":
        json.dump(rows, out, indent=2)
        out.write("\n")
        return 0
    print(f"{'':5}{'Name':28}{'Scheduled Start':22}{'Status':26}{'Started':22}Ended", file=out)
    for number, row in enumerate(rows, start=1):
        print(
            f"{number:>3}. {row['name'][:27]:28}{row['scheduledStartTime']:22}"
            f"{row['status']:26}{row['startedTime']:22}{row['endedTime']}",
            file=out,
        )
    return 0


def _parsed(moment: str) -> datetime:
    """A time the REST API gave (ISO 8601, ``Z`` or an offset)."""
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def _short(moment: str | None) -> str:
    """``2024-03-05T00:00:00`` (UTC, no offset), as Data Pipeline prints times."""
    if not moment:
        return ""
    return _parsed(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _activate(api: Api, args: argparse.Namespace, out: TextIO) -> int:
    dag = _q(args.dag_id)
    for pair in args.parameter_values:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--parameter-values takes ID=VALUE, not {pair!r}")
        variable = f"{args.dag_id}__{key.removeprefix('*')}"
        body = {"key": variable, "value": value}
        try:
            api.call("PATCH", f"/api/v2/variables/{_q(variable)}", body)
        except ApiError:
            api.call("POST", "/api/v2/variables", body)
        shown = "***" if key.startswith("*") else value
        print(f"{args.dag_id}: {key} = {shown} (Airflow Variable {variable})", file=out)
    api.call("PATCH", f"/api/v2/dags/{dag}", {"is_paused": False})
    print(f"{args.dag_id}: unpaused", file=out)
    if args.start_timestamp:
        body = {
            "dag_id": args.dag_id,
            "from_date": _moment(args.start_timestamp).isoformat(),
            "to_date": datetime.now(UTC).isoformat(),
        }
        backfill = api.call("POST", "/api/v2/backfills", body)
        print(f"{args.dag_id}: backfill {backfill['id']} from {body['from_date']}", file=out)
    return 0
