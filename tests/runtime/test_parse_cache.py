"""The content-hash parse cache: hits for unchanged files, misses on change, never holds secrets."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from dp_airflow.parse_cache import cached_translation as _cached
from dp_airflow.plan.translation import source_for, translate_source

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

    def translate(source):
        calls.append(source.definition)
        return translate_source(source)

    return calls, translate


def cached_translation(path: Path, translate):
    return _cached(source_for(path), translate)


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


def test_a_changed_values_file_misses(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "pipe.json"
    path.write_text(json.dumps(DEFINITION))
    values = tmp_path / "pipe.values.json"
    values.write_text(json.dumps({"values": {"myWho": "moon"}}))
    calls, translate = _counting()
    cached_translation(path, translate)
    values.write_text(json.dumps({"values": {"myWho": "sun"}}))
    (result,) = cached_translation(path, translate)
    assert len(calls) == 2
    assert result[0].params["myWho"].default == "sun"


def test_secret_values_from_a_values_file_are_never_cached(tmp_path: Path, cache: Path) -> None:
    secret = json.loads(json.dumps(DEFINITION))
    secret["parameters"].append({"id": "*myToken"})
    path = tmp_path / "pipe.json"
    path.write_text(json.dumps(secret))
    (tmp_path / "pipe.values.json").write_text(json.dumps({"values": {"*myToken": "s3cr3t"}}))
    calls, translate = _counting()
    cached_translation(path, translate)
    cached_translation(path, translate)
    assert len(calls) == 2
    assert not cache.exists() or not any(cache.iterdir())


def test_a_broken_definition_is_cached_as_its_diagnostics(tmp_path: Path, cache: Path) -> None:
    from dp_airflow.errors import DefinitionError
    from dp_airflow.plan.translation import Broken, broken_from

    path = tmp_path / "pipe.json"
    path.write_text('{"objects": [{"id": "A", "type": "Shel"}]}')
    calls: list[Path] = []

    def translate(source):
        calls.append(source.definition)
        try:
            return translate_source(source)
        except DefinitionError as exc:
            return broken_from(exc)

    first = cached_translation(path, translate)
    second = cached_translation(path, translate)
    assert len(calls) == 1 and isinstance(second, Broken) and second == first
    assert "unknown object type 'Shel'" in second.diagnostics[0]


def test_each_variant_has_its_own_entry(tmp_path: Path, cache: Path) -> None:
    """The loader's ``catchup`` is part of what it caches (the DAG's arguments)."""
    path = tmp_path / "pipe.json"
    path.write_text(json.dumps(DEFINITION))
    calls, translate = _counting()
    for variant in ("catchup=True", "catchup=False", "catchup=True"):
        _cached(source_for(path), translate, variant)
    assert len(calls) == 2


def test_a_cached_runtime_is_unpickled_when_first_used(tmp_path: Path, cache: Path) -> None:
    """Building DAGs from the cache does not pay for the objects; a task's first use does."""
    path = tmp_path / "pipe.json"
    path.write_text(json.dumps(DEFINITION))
    calls, translate = _counting()
    ((_, fresh),) = cached_translation(path, translate)
    ((_, cached),) = cached_translation(path, translate)
    assert len(calls) == 1
    assert set(vars(cached)) == {"_pickled"}
    assert cached.form_value("myWho") == ("world",)
    assert "_pickled" not in vars(cached)
    assert cached.objects.keys() == fresh.objects.keys()
    assert cached.schedule == fresh.schedule
    assert (cached.pipeline_id, cached.values) == (fresh.pipeline_id, fresh.values)
    with pytest.raises(AttributeError):
        _ = cached.no_such_field


def test_a_new_airflow_or_dp_airflow_misses(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key holds the code: an upgrade of either never reads entries of the other."""
    import importlib.metadata

    from dp_airflow import parse_cache

    path = tmp_path / "pipe.json"
    path.write_text(json.dumps(DEFINITION))
    calls, translate = _counting()
    cached_translation(path, translate)
    fingerprint = parse_cache._code_fingerprint
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: "99.0.0" if name == "apache-airflow" else real_version(name),
    )
    parse_cache._code_fingerprint.cache_clear()
    try:
        cached_translation(path, translate)
        cached_translation(path, translate)
        assert len(calls) == 2  # the new Airflow translated once, then hit
        monkeypatch.setattr(parse_cache, "_code_fingerprint", lambda: b"another dp-airflow")
        cached_translation(path, translate)
        assert len(calls) == 3
    finally:
        fingerprint.cache_clear()


def _translate_repeatedly(path: str, rounds: int) -> list[str]:
    """In a process of its own: the command of every translation it got, cached or not."""
    return [
        cached_translation(Path(path), translate_source)[0][0].tasks[0].arguments["command"]
        for _ in range(rounds)
    ]


def _replace(path: Path, text: str) -> None:
    """Write as deployments do (``git checkout``, ``rsync``): a new file renamed over the old."""
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(text)
    os.replace(temporary, path)


def test_concurrent_processes_and_edits_never_see_a_wrong_or_torn_entry(
    tmp_path: Path, cache: Path
) -> None:
    """Four processes parse while the file is replaced by one version, then the other: each
    result is one of the versions (never a torn entry), and the cache ends readable."""
    import multiprocessing

    path = tmp_path / "pipe.json"
    versions = []
    for word in ("first", "second"):
        version = json.loads(json.dumps(DEFINITION))
        version["objects"][1]["command"] = f"echo {word}"
        versions.append(json.dumps(version))
    path.write_text(versions[0])
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pending = [pool.apply_async(_translate_repeatedly, (str(path), 40)) for _ in range(4)]
        for n in range(1, 200):
            if all(job.ready() for job in pending):
                break
            _replace(path, versions[n % 2])
            time.sleep(0.005)
        results = [command for job in pending for command in job.get(timeout=120)]
    assert set(results) == {"echo first", "echo second"} and len(results) == 160
    for word, version in (("first", versions[0]), ("second", versions[1])):
        _replace(path, version)
        calls, translate = _counting()
        ((spec, _),) = cached_translation(path, translate)
        ((again, _),) = cached_translation(path, translate)
        assert spec.tasks[0].arguments["command"] == f"echo {word}"
        assert again.tasks[0].arguments["command"] == f"echo {word}"
        assert len(calls) <= 1  # translated at most once more, then read back whole
    assert all(entry.stat().st_size > 0 for entry in cache.glob("*.pickle"))
    assert not list(cache.glob("*.tmp"))


def test_a_definition_error_crosses_a_process_boundary_whole() -> None:
    import pickle

    from dp_airflow.diagnostics import Diagnostic, Severity
    from dp_airflow.errors import DefinitionError

    error = DefinitionError([Diagnostic(Severity.ERROR, "x", "broken", "pipe.json")])
    copy = pickle.loads(pickle.dumps(error))
    assert copy.diagnostics == error.diagnostics and str(copy) == str(error)
