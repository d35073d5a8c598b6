"""Every corpus sample of the data-movement kinds: translated and serialized, or refused for the
reason recorded in corpus_data_movement.json (``python -m tests.runtime.corpus_data_movement``)."""

from __future__ import annotations

import json

import pytest

from tests.runtime.corpus_data_movement import EXPECTED, actual


@pytest.mark.usefixtures("airflow_db")
def test_corpus_samples_translate_or_are_refused_as_recorded(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR", "off")
    expected = json.loads(EXPECTED.read_text())
    assert actual() == expected
    assert sum(v.startswith("dag") for v in expected.values()) >= 32
