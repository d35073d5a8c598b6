"""A content-hash cache of translated definitions, so a re-parse skips validation and planning.

Airflow parses the loader file every ``min_file_process_interval`` and again before every task.
The plan and runtime of a definition depend only on its bytes, its path and dp-airflow's code, so
they are pickled under a key made of those; a changed file or a new dp-airflow misses the cache.
Definitions holding secret values (``*`` fields or parameters with values) are never cached:
secrets must not reach generated files. Entries are written atomically and the previous entry of
the same file is removed. Directory: ``AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR``, by default
``$AIRFLOW_HOME/dp_airflow_cache``; set it to ``off`` to disable the cache.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dp_airflow.runtime.pipeline_runtime import PipelineRuntime
    from dp_airflow.translate.plan import DagSpec

Translation = list[tuple["DagSpec", "PipelineRuntime"]]


def cache_dir() -> Path | None:
    configured = os.environ.get("AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "false") else Path(configured)
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return Path(home) / "dp_airflow_cache"


@functools.cache
def _code_fingerprint() -> bytes:
    """dp-airflow's own code as it is on disk (so an upgrade or an edit misses the cache)."""
    digest = hashlib.sha256(sys.version.encode())
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        stat = source.stat()
        digest.update(f"{source.relative_to(package)}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.digest()


def cached_translation(path: Path, translate: Callable[[Path], Translation]) -> Translation:
    """``translate(path)``, from the cache when this exact file was translated before."""
    directory = cache_dir()
    if directory is None:
        return translate(path)
    content = path.read_bytes()
    file_key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    content_key = hashlib.sha256(_code_fingerprint() + content).hexdigest()[:32]
    entry = directory / f"{file_key}-{content_key}.pickle"
    try:
        with entry.open("rb") as handle:
            cached: Translation = pickle.load(handle)
        return cached
    except FileNotFoundError:
        pass
    except Exception:  # a damaged or foreign entry: translate again and replace it
        entry.unlink(missing_ok=True)
    result = translate(path)
    if path.read_bytes() == content and not any(r.secret_values() for _, r in result):
        _store(directory, file_key, entry, result)
    return result


def _store(directory: Path, file_key: str, entry: Path, result: Translation) -> None:
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
