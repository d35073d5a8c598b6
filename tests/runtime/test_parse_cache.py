"""The content-hash parse cache: hits for unchanged files, misses on change, never holds secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dp_airflow.loader import translate_file
from dp_airflow.parse_cache import cached_translation

DEFINITION = {
    "objects": [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
        {"id": "Say", "type": "ShellCommandActivity", "command": "echo #{myWho}"},
    ],
    "parameters": [{"id": "myWho", "default": "world"}],
}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR", str(directory))
    return directory


def _counting() -> tuple[list[Path], object]:
    calls: list[Path] = []

    def translate(path: Path):
        calls.append(path)
        return translate_file(path)

    return calls, translate


def test_an_unchanged_file_is_translated_once(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "pipe.json"
    path.write_text(json.dumps(DEFINITION))
    calls, translate = _counting()
    first = cached_translation(path, translate)
    second = cached_translation(path, translate)
    assert len(calls) == 1
    assert [spec for spec, _ in second] == [spec for spec, _ in first]
    assert second[0][1].objects.keys() == first[0][1].objects.keys()


def test_a_changed_file_misses_and_replaces_its_entry(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "pipe.json"
    path.write_text(json.dumps(DEFINITION))
    calls, translate = _counting()
    cached_translation(path, translate)
    changed = json.loads(json.dumps(DEFINITION))
    changed["objects"][1]["command"] = "echo changed"
    path.write_text(json.dumps(changed))
    (result,) = cached_translation(path, translate)
    assert len(calls) == 2
    (task,) = result[0].tasks
    assert task.arguments["command"] == "echo changed"
    assert len(list(cache.glob("*.pickle"))) == 1


def test_definitions_with_secret_values_are_never_cached(tmp_path: Path, cache: Path) -> None:
    secret = json.loads(json.dumps(DEFINITION))
    secret["objects"][1]["*myToken"] = "s3cr3t-value"
    path = tmp_path / "pipe.json"
    path.write_text(json.dumps(secret))
    calls, translate = _counting()
    cached_translation(path, translate)
    cached_translation(path, translate)
    assert len(calls) == 2
    assert not cache.exists() or not any(cache.iterdir())


def test_a_damaged_entry_is_replaced(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "pipe.json"
    path.write_text(json.dumps(DEFINITION))
    calls, translate = _counting()
    cached_translation(path, translate)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    (result,) = cached_translation(path, translate)
    assert len(calls) == 2 and result[0].dag_id == "pipe"
    assert entry.read_bytes() != b"not a pickle"


def test_the_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR", "off")
    path = tmp_path / "pipe.json"
    path.write_text(json.dumps(DEFINITION))
    calls, translate = _counting()
    cached_translation(path, translate)
    cached_translation(path, translate)
    assert len(calls) == 2
