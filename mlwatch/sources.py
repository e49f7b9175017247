"""Where the rows live: Spark DataFrames and SQL queries, summarised where they are.

The audit reads summaries (:class:`~mlwatch.baseline.ColumnSummary`: tallies, bin counts,
category counts), and summaries merge. So one summariser — :func:`~mlwatch.baseline.summarise_frames`,
polars and numpy over Arrow batches — runs wherever the batches are, and only summaries
travel:

* **Spark** (:func:`summarise_spark`, ``Baseline.from_spark``): each partition is summarised
  on its executor (``DataFrame.mapInArrow``, the Arrow batches Spark already holds), one row
  of summary per column per partition reaches the driver, which merges them pairwise. Rows
  never leave the executors. The executors need mlwatch installed, as any pandas UDF needs
  its packages (in local mode they run the driver's Python).
* **SQL** (:class:`SQL`, ``mlwatch.sql("postgresql://...", "SELECT ...")``): the query's
  result is read through ADBC as Arrow record batches (the PostgreSQL driver streams them
  with ``COPY``), summarised batch by batch and dropped; a result small enough for memory
  (at most :data:`~mlwatch.steps.audit.SCAN_ROWS` rows) is read whole, so every step accepts
  it as it accepts a frame. Exact category counts and null counts are pushed into the
  database as ``GROUP BY`` queries when the rows are many (:func:`summarise_sql`).

**Why not a dataframe-agnostic layer (narwhals, Ibis).** Writing the aggregations once in
narwhals or Ibis would run them as each engine's own aggregates — ``approx_percentile`` on
Spark, ``percentile_cont`` on PostgreSQL — with three error models to keep equal to the
polars path, and without the summaries' measured bounds, grids and exact bin counts. Shipping
the one summariser to the batches gives the same numbers on every engine by construction
(the parity tests check it), at the cost of Python on the executors, which Spark's Arrow
UDFs make cheap.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np
import polars as pl

from mlwatch.baseline import (BATCH_ROWS, POINTS, Baseline, ColumnSummary, row_schema, finish, merge_summaries, plan,
                              prepare, summarise_frames)
from mlwatch.errors import DataError
from mlwatch.stats import quality

SQL_SCHEMES = ("postgresql://", "postgres://")


# ------------------------------------------------------------------ Spark

def is_spark(value: Any) -> bool:
    """A ``pyspark.sql.DataFrame`` (classic or Spark Connect), without importing pyspark."""
    return type(value).__module__.startswith("pyspark.sql") and hasattr(value, "mapInArrow")


def spark_schema(df) -> pl.Schema:
    """The polars types of a Spark DataFrame's columns (from its Arrow schema; no row read)."""
    return pl.from_arrow(df.limit(0).toArrow()).schema


def summarise_spark(df, *, features: Sequence[str] | None = None, exclude: Sequence[str] = (),
                    kinds: Mapping[str, str] | None = None, bins: int | None = 10,
                    edges: Mapping[str, np.ndarray] | None = None, where: Mapping[str, Any] | None = None,
                    name: str = "reference") -> Baseline:
    """Summarise a Spark DataFrame on its executors: each partition's Arrow batches become one
    summary row per column (``mapInArrow``), the driver merges them (see the module). ``where``
    filters rows on the executors; ``edges`` counts numeric columns in given PSI bins."""
    from mlwatch import data

    schema = spark_schema(df)
    column_kinds = plan(schema, features=features, exclude=exclude, kinds=kinds, name=name)
    if where:
        data.where_condition(schema, where, name=name)            # an unknown column fails here, on the driver
    needed = list(dict.fromkeys([*column_kinds, *(where or {})]))
    job = _PartitionSummary(dict(schema), column_kinds, dict(edges or {}), dict(where or {}), name)
    table = df.select(*[f"`{c}`" for c in needed]).mapInArrow(job, _spark_row_type()).toArrow()
    rows = table.to_pylist()
    if not rows:
        raise DataError(f"{name}: no rows to summarise", frame=name)
    parts: list[dict[str, ColumnSummary]] = [{}]
    for row in rows:                                 # a partition's rows come together, one per column
        if row["name"] in parts[-1]:
            parts.append({})
        parts[-1][row["name"]] = ColumnSummary.from_row(row)
    return finish(merge_summaries(parts), schema, bins, {"source": "spark", "partitions": len(parts)}, name=name)


class _PartitionSummary:
    """The function ``mapInArrow`` runs on each partition: its batches in, its summary rows
    out (one per column, compressed to :data:`POINTS`). A class so the executors get its
    fields, not a closure over the driver's state."""

    def __init__(self, schema: dict, column_kinds: dict, edges: dict, where: dict, name: str):
        self.schema, self.column_kinds, self.edges, self.where, self.name = schema, column_kinds, edges, where, name

    def __call__(self, batches: Iterator) -> Iterator:
        import pyarrow as pa

        from mlwatch import data

        condition = data.where_condition(self.schema, self.where, name=self.name) if self.where else None
        exprs = prepare(self.schema, self.column_kinds)

        def frames():
            for frame in _rebatched((pl.from_arrow(b) for b in batches), BATCH_ROWS):
                if condition is not None:
                    frame = frame.filter(condition)
                yield frame.select(exprs)

        result = summarise_frames(frames(), self.column_kinds, edges=self.edges)
        if result is None:
            return
        rows = []
        for s in result.values():
            if s.kind == "numeric" and s.tally.values.size > POINTS:
                s = replace(s, tally=s.tally.compress(POINTS, keep=quality.SENTINELS))
            rows.append(s.to_row())
        yield pa.RecordBatch.from_pylist(rows, schema=row_schema())


def _spark_row_type() -> str:
    """The summary row (:func:`mlwatch.baseline.row_schema`) in Spark's DDL."""
    import pyarrow as pa

    spark = {"string": "string", "int64": "bigint", "double": "double", "bool": "boolean"}
    fields = []
    for f in row_schema():
        ddl = f"array<{spark[str(f.type.value_type)]}>" if pa.types.is_list(f.type) else spark[str(f.type)]
        fields.append(f"`{f.name}` {ddl}")
    return ", ".join(fields)


def local_spark(app: str = "mlwatch", cores: int = 2):
    """A local Spark session (``local[cores]``, UTC, no web UI) whose Python workers run this
    interpreter: for tests, benchmarks and notebooks. Needs Java 17+ and pyspark."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ImportError("Spark needs pyspark: pip install 'mlwatch[spark]' (and Java 17 or later)") from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return (SparkSession.builder.master(f"local[{cores}]").appName(app)
            .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(2 * cores))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())


# ------------------------------------------------------------------ SQL

@dataclass(frozen=True)
class SQL:
    """A query against a database, read as a window: ``sql("postgresql://user@host/db",
    "SELECT * FROM predictions WHERE day >= '2026-11-01'")``. Every step accepts it where it
    accepts a frame; the audit summarises a large result batch by batch (see the module)."""

    uri: str
    query: str

    def __post_init__(self):
        if not str(self.uri).startswith(SQL_SCHEMES):
            raise DataError(f"sql: {self.where_from}: only PostgreSQL URIs (postgresql://...) are supported")
        if not str(self.query).strip():
            raise DataError(f"sql: {self.where_from}: the query is empty")

    @property
    def where_from(self) -> str:
        """The URI without its password, for messages."""
        return redacted(self.uri)

    def __repr__(self) -> str:
        return f"SQL({self.where_from!r}, {self.query!r})"

    def _connect(self):
        try:
            import adbc_driver_postgresql.dbapi as pg
        except ImportError:
            raise ImportError("SQL sources need the ADBC PostgreSQL driver: pip install 'mlwatch[sql]'") from None
        try:
            return pg.connect(self.uri)
        except Exception as err:             # the driver's own error types; say which database
            raise DataError(f"sql: cannot connect to {self.where_from}: {_first_line(err)}") from None

    def _run(self, cursor, query: str, name: str):
        try:
            cursor.execute(query)
        except Exception as err:
            raise DataError(f"{name}: the query failed on {self.where_from}: {_first_line(err)}", frame=name) from None

    def count(self, name: str = "data") -> int:
        """Rows the query returns (counted by the database)."""
        with self._connect() as conn, conn.cursor() as cur:
            self._run(cur, f"SELECT count(*) FROM ({self.query}) AS mlwatch_q", name)
            return int(cur.fetchone()[0])

    def schema(self, name: str = "data") -> pl.Schema:
        """The polars types of the query's columns (no row read)."""
        with self._connect() as conn, conn.cursor() as cur:
            self._run(cur, f"SELECT * FROM ({self.query}) AS mlwatch_q LIMIT 0", name)
            return pl.from_arrow(cur.fetch_arrow_table()).schema

    def read(self, name: str = "data", *, fraction: float | None = None) -> pl.DataFrame:
        """The whole result as a polars frame, or a seeded random ``fraction`` of its rows."""
        with self._connect() as conn, conn.cursor() as cur:
            if fraction is not None and fraction < 1:
                self._run(cur, "SELECT setseed(0.5)", name)
                cur.fetchall()
                self._run(cur, f"SELECT * FROM ({self.query}) AS mlwatch_q WHERE random() < {float(fraction)!r}", name)
            else:
                self._run(cur, self.query, name)
            return pl.from_arrow(cur.fetch_arrow_table())

    def batches(self, name: str = "data", columns: Sequence[str] | None = None) -> Iterator[pl.DataFrame]:
        """The result (or its ``columns``) as polars frames of the driver's Arrow record
        batches, streamed."""
        query = self.query if columns is None else \
            f"SELECT {', '.join(_quoted(c) for c in columns)} FROM ({self.query}) AS mlwatch_q"
        with self._connect() as conn, conn.cursor() as cur:
            self._run(cur, query, name)
            for batch in cur.fetch_record_batch():
                yield pl.from_arrow(batch)

    def group_counts(self, column: str, name: str = "data") -> dict[Any, int]:
        """``{value: rows}`` of one column, counted by the database (nulls under None)."""
        with self._connect() as conn, conn.cursor() as cur:
            self._run(cur, f"SELECT {_quoted(column)}::text AS v, count(*) AS n FROM ({self.query}) AS mlwatch_q GROUP BY 1",
                      name)
            table = cur.fetch_arrow_table()
        return dict(zip(table.column("v").to_pylist(), table.column("n").to_pylist()))


def redacted(uri: str) -> str:
    """A database URI without its password (``postgresql://user:***@host/db``)."""
    head, sep, tail = str(uri).partition("://")
    if "@" in tail:
        user, host = tail.rsplit("@", 1)
        tail = user.split(":", 1)[0] + ":***@" + host if ":" in user else tail
    return head + sep + tail


def sql(uri: str, query: str) -> SQL:
    """A window read from a database: see :class:`SQL`."""
    return SQL(uri, query)


def summarise_sql(source: SQL, *, features: Sequence[str] | None = None, exclude: Sequence[str] = (),
                  kinds: Mapping[str, str] | None = None, bins: int | None = 10,
                  edges: Mapping[str, np.ndarray] | None = None, where: Mapping[str, Any] | None = None,
                  progress: bool | None = None, name: str = "reference", batch_rows: int = BATCH_ROWS) -> Baseline:
    """Summarise a query's result batch by batch as it streams from the database; only
    summaries are held. Category counts come from the database (``GROUP BY``) when no
    ``where`` filters the rows, so a category column's summary never needs its rows."""
    from concurrent.futures import ThreadPoolExecutor

    from mlwatch import data
    from mlwatch.progress import bar

    schema = source.schema(name)
    column_kinds = plan(schema, features=features, exclude=exclude, kinds=kinds, name=name)
    condition = data.where_condition(schema, where, name=name) if where else None
    total = source.count(name)
    if total == 0:
        raise DataError(f"{name}: no rows to summarise", frame=name)
    pushed = {c for c, k in column_kinds.items() if k == "categorical" and schema[c] == pl.String} \
        if condition is None else set()
    streamed = {c: k for c, k in column_kinds.items() if c not in pushed}
    exprs = prepare(schema, streamed)
    result: dict[str, ColumnSummary] = {}
    if streamed:
        read = list(dict.fromkeys([*streamed, *(where or {})]))

        def frames():
            for frame in _rebatched(source.batches(name, read), batch_rows):
                yield (frame.filter(condition) if condition is not None else frame).select(exprs)

        with bar(total, f"summarising {name}", progress) as tick, ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            result.update(summarise_frames(frames(), streamed, edges=edges, tick=tick, pool=pool) or {})
    for c in pushed:
        counts = source.group_counts(c, name)
        n_null = int(counts.pop(None, 0))
        ordered = dict(sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0])))
        result[c] = ColumnSummary(c, "categorical", str(schema[c]), total, n_null, categories=ordered)
    if not result or all(s.n == 0 for s in result.values()):
        raise DataError(f"{name}: no rows to summarise", frame=name)
    return finish({c: result[c] for c in column_kinds}, schema, bins, {"source": "sql"}, name=name)


# ------------------------------------------------------------------ rows for the row-level steps

SAMPLE_ROWS = 1_000_000


def summarisable(value: Any) -> bool:
    """A window the audit can summarise where it lives: Spark, a query, a lazy frame, a
    parquet file, folder or glob."""
    if is_source(value) or isinstance(value, pl.LazyFrame):
        return True
    if isinstance(value, (str, os.PathLike)):
        from mlwatch.baseline import is_dataset

        return is_dataset(value) or str(value).endswith((".parquet", ".pq"))
    return False


def read_rows(value: Any, rows: int = SAMPLE_ROWS, *, name: str = "data") -> tuple[pl.DataFrame, int]:
    """The rows of a summarisable window (:func:`summarisable`) for the steps that read rows,
    and how many it has: all of them up to ``rows``; past that a seeded uniform sample of
    about ``rows`` (Spark's Bernoulli ``sample``, PostgreSQL's ``random()`` after
    ``setseed``, every k-th row of a parquet scan, which keeps a time-ordered log's every
    period). Only these rows reach this machine."""
    if is_spark(value):
        total = value.count()
        if total > rows:
            value = value.sample(withReplacement=False, fraction=rows / total, seed=0)
        return pl.from_arrow(value.toArrow()), total
    if isinstance(value, SQL):
        total = value.count(name)
        return value.read(name, fraction=rows / total if total > rows else None), total
    from mlwatch.baseline import scan

    lazy = scan(value)
    try:
        total = lazy.select(pl.len()).collect().item()
        if total > rows:
            lazy = lazy.gather_every(-(-total // rows))
        return lazy.collect(engine="streaming"), total
    except (pl.exceptions.PolarsError, OSError) as err:
        raise DataError(f"{name}: cannot read {value!r}: {_first_line(err)}", frame=name) from None


# ------------------------------------------------------------------ helpers

def is_source(value: Any) -> bool:
    """Rows summarised where they live: a Spark DataFrame or a SQL query."""
    return is_spark(value) or isinstance(value, SQL)


def summarise(source, **options) -> Baseline:
    """The summary of a Spark DataFrame or a SQL query (see the module)."""
    if is_spark(source):
        options.pop("progress", None)          # Spark shows its own stage progress
        return summarise_spark(source, **options)
    return summarise_sql(source, **options)


def _rebatched(frames: Iterable[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """Frames of about ``rows`` rows from smaller ones (a driver's batches are small; a
    summary per batch would cost more than the batch)."""
    pending: list[pl.DataFrame] = []
    held = 0
    for frame in frames:
        pending.append(frame)
        held += frame.height
        if held >= rows:
            yield pl.concat(pending, how="vertical_relaxed")
            pending, held = [], 0
    if pending:
        yield pl.concat(pending, how="vertical_relaxed")


def _quoted(column: str) -> str:
    """A column name as a SQL identifier."""
    return '"' + column.replace('"', '""') + '"'


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


__all__ = ["SAMPLE_ROWS", "SQL", "is_source", "is_spark", "local_spark", "read_rows", "redacted", "sql",
           "summarisable", "summarise", "summarise_spark", "summarise_sql"]
