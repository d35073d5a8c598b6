"""A content-hash cache of translated definitions, so a re-parse skips validation and planning.

Airflow parses the loader file every ``min_file_process_interval`` and again before every task.
What the loader builds a definition's DAGs from (each DAG as constructor calls, with its
runtime) depends only on the definition's bytes (with its parameters and values files), its
path, the loader's ``catchup`` and the code of dp-airflow and Airflow, so it is pickled under a
key made of those; a changed file or an upgrade misses the cache. The runtime stays pickled
until a task first uses it. Broken definitions are cached as their diagnostics.
Definitions holding secret values (``*`` fields or parameters with values, in the definition or
a values file) are never cached: secrets must not reach generated files. Entries are written
atomically and the previous entry of the same file is removed. Directory:
``AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR``, by default ``$AIRFLOW_HOME/dp_airflow_cache``; set it
to ``off`` to disable the cache.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from dp_airflow.discovery import PipelineSource
    from dp_airflow.plan.pipeline_runtime import PipelineRuntime
    from dp_airflow.plan.translation import Broken


def cache_dir() -> Path | None:
    """Where translations are cached (``[dp_airflow] parse_cache_dir``), None when off."""
    return _cache_dir(
        os.environ.get("AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR"), os.environ.get("AIRFLOW_HOME")
    )


@functools.lru_cache(maxsize=8)
def _cache_dir(configured: str | None, home: str | None) -> Path | None:
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "false") else Path(configured)
    return Path(home or Path.home() / "airflow") / "dp_airflow_cache"


@functools.cache
def _code_fingerprint() -> bytes:
    """dp-airflow's own code as it is on disk and the Airflow it builds for (so an upgrade of
    either, or an edit, misses the cache)."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"{sys.version}\0{version('apache-airflow')}".encode())
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        stat = source.stat()
        digest.update(f"{source.relative_to(package)}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.digest()


Cached = TypeVar("Cached", bound="Sequence[tuple[object, PipelineRuntime]] | Broken")
"""What is cached for a source: a value per pipeline with its runtime, or why it is broken."""


def cached_translation(
    source: PipelineSource,
    translate: Callable[[PipelineSource], Cached] | None,
    variant: str = "",
    known: Mapping[Path, bytes] = MappingProxyType({}),
) -> Cached | None:
    """``translate(source)``, from the cache when these exact files were translated before.

    ``variant`` names whatever else the result depends on (the loader's ``catchup``); ``known``
    holds files' contents already read (by discovery). The outcome of a broken definition is
    cached too (so a definition that failed or ran out of time is not translated again on every
    parse), except failures that may pass by themselves. With ``translate=None`` only the cache
    is asked: None on a miss.
    """
    directory = cache_dir()
    if directory is None:
        return translate(source) if translate is not None else None
    try:
        contents = [known.get(path) or path.read_bytes() for path in source.files]
    except OSError:
        return translate(source) if translate is not None else None
    # abspath, not resolve: the name only groups one file's entries, the contents are the key.
    identity = f"{source.dag_id}\0{variant}\0" + "\0".join(map(os.path.abspath, source.files))
    file_key = hashlib.sha256(identity.encode()).hexdigest()[:16]
    digest = hashlib.sha256(_code_fingerprint())
    for content in contents:
        digest.update(len(content).to_bytes(8, "big") + content)
    entry = directory / f"{file_key}-{digest.hexdigest()[:32]}.pickle"
    try:
        with open(entry, "rb") as handle:
            data = handle.read()
        with collection_paused():
            cached: Cached = pickle.loads(data)
        return cached
    except FileNotFoundError:
        pass
    except Exception:  # a damaged or foreign entry: translate again and replace it
        entry.unlink(missing_ok=True)
    if translate is None:
        return None
    result = translate(source)
    unchanged = [p.read_bytes() for p in source.files] == contents
    if unchanged and _cacheable(result):
        _store(directory, file_key, entry, result)
    return result


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Unpickling makes thousands of objects, each allocation a step towards a full garbage
    collection that walks the whole (growing) heap: with 500 definitions that tripled the time
    of a warm parse. Nothing unpickled holds a cycle to collect."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _cacheable(outcome: Sequence[tuple[object, PipelineRuntime]] | Broken) -> bool:
    from dp_airflow.plan.translation import Broken

    if isinstance(outcome, Broken):
        return outcome.cacheable
    return not any(runtime.secret_values() for _, runtime in outcome)


def _store(directory: Path, file_key: str, entry: Path, result: object) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for old in directory.glob(f"{file_key}-*.pickle"):
            old.unlink(missing_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
    except OSError:
        pass  # a read-only or full disk only costs the next parse its time
