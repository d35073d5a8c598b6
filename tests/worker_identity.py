"""``[core] hostname_callable`` for test Celery workers: each reports its own name, so a task
instance's ``hostname`` tells which worker ran it although all run on this one machine."""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("DP_AIRFLOW_TEST_WORKER") or socket.getfqdn()
