"""RedshiftCopyActivity's insert modes as SQL over a loaded staging table named ``staging``.

The whole load runs in one transaction. ``TRUNCATE`` is done with ``DELETE``, because Redshift's
TRUNCATE commits the open transaction (a failed load would then leave the table empty).
``KEEP_EXISTING`` and ``OVERWRITE_EXISTING`` match rows on the primary keys: the output node's
``primaryKeys``, else the table's declared primary key.
"""

from __future__ import annotations

from collections.abc import Sequence

from dp_airflow.errors import DpAirflowError

MODES = ("KEEP_EXISTING", "OVERWRITE_EXISTING", "TRUNCATE", "APPEND")


class MergeError(DpAirflowError):
    """An insert mode that cannot be applied as asked."""


def quote_identifier(name: str) -> str:
    """A SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def quote_table(name: str) -> str:
    """``schema.table`` or ``table``, each part quoted unless already quoted."""
    parts = [p if p.startswith('"') else quote_identifier(p) for p in name.split(".")]
    return ".".join(parts)


def merge_statements(
    table: str,
    mode: str,
    primary_keys: Sequence[str],
    transform_sql: str | None = None,
    object_id: str = "?",
) -> list[str]:
    """Statements that move ``staging`` (after ``transformSql``) into ``table``."""
    mode = mode.strip().upper()
    if mode not in MODES:
        raise MergeError(f"{object_id}: insertMode {mode!r} is not one of {', '.join(MODES)}")
    target = quote_table(table)
    out: list[str] = []
    source = "staging"
    if transform_sql:
        out.append(f"CREATE TEMP TABLE staging_transformed AS {transform_sql.strip().rstrip(';')}")
        source = "staging_transformed"
    if mode in ("KEEP_EXISTING", "OVERWRITE_EXISTING") and not primary_keys:
        raise MergeError(
            f"{object_id}: insertMode {mode} matches rows on primary keys, but {table} has none: "
            "declare a primary key on the table or set primaryKeys on the RedshiftDataNode"
        )
    match = " AND ".join(
        f"{target}.{quote_identifier(k)} = s.{quote_identifier(k)}" for k in primary_keys
    )
    if mode == "KEEP_EXISTING":
        out.append(
            f"INSERT INTO {target} SELECT s.* FROM {source} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {target} WHERE {match})"
        )
    elif mode == "OVERWRITE_EXISTING":
        out.append(f"DELETE FROM {target} USING {source} s WHERE {match}")
        out.append(f"INSERT INTO {target} SELECT * FROM {source}")
    elif mode == "TRUNCATE":
        out.append(f"DELETE FROM {target}")
        out.append(f"INSERT INTO {target} SELECT * FROM {source}")
    else:
        out.append(f"INSERT INTO {target} SELECT * FROM {source}")
    return out


def copy_options(command_options: Sequence[str]) -> dict[str, str]:
    """The Redshift COPY options that a PostgreSQL ``COPY … FROM STDIN`` can honour.

    Redshift's defaults: pipe-delimited text; ``CSV``, ``DELIMITER 'x'``, ``IGNOREHEADER n``
    (n ≤ 1 here) and ``NULL AS 'x'`` carry over; other options (``GZIP`` is handled by reading the
    object) are Redshift-only and ignored by the PostgreSQL stand-in.
    """
    import shlex

    words = shlex.split(" ".join(command_options), posix=True)
    upper = [w.upper() for w in words]
    options: dict[str, str] = {"FORMAT": "text", "DELIMITER": "|"}
    if "CSV" in upper:
        options.update(FORMAT="csv", DELIMITER=",")
    for index, word in enumerate(upper[:-1]):
        value = words[index + 1]
        if word == "DELIMITER":
            options["DELIMITER"] = value
        elif word == "IGNOREHEADER" and value.isdigit() and int(value) > 0:
            options["HEADER"] = "true"
        elif word == "NULL" and upper[index + 1] == "AS" and index + 2 < len(words):
            options["NULL"] = words[index + 2]
    return options
