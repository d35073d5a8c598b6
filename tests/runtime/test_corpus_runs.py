"""The corpus samples of the data-movement kinds that translate, run end to end against moto:
each sample's run and task states are pinned in corpus_runs.json (``DP_RECORD=1`` rewrites it)."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from tests.runtime.corpus_runs import RUNS, run_sample, samples
from tests.runtime.test_emr import steps_finishing


@pytest.mark.slow
@pytest.mark.usefixtures("airflow_db")
def test_corpus_samples_run_as_recorded(aws, moto_server: str, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR", "off")

    def reset() -> None:
        request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
        urllib.request.urlopen(request)

    with steps_finishing():
        actual = {}
        for path in samples():
            name = str(path).split("/corpus/", 1)[1]
            actual[name] = run_sample(path, aws, reset)
    if os.environ.get("DP_RECORD"):
        RUNS.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    assert actual == json.loads(RUNS.read_text())
