"""The reference as a small saved summary: :class:`Baseline`.

At training time the reference window is at hand; in an incident, weeks later, it often is
not. A :class:`Baseline` keeps what the audit reads of each reference column, in a file of
a few hundred kilobytes that loads in milliseconds, and every audit accepts it wherever it
accepts a reference frame::

    Baseline.from_frame(training_frame).save("ref.mlwatch")      # at training time
    audit(Baseline.load("ref.mlwatch"), live_frame)                # in the incident

Per column it keeps the kind and type, the row, null, NaN and infinity counts and

* numbers: the finite values as a :class:`~mlwatch.stats.tally.Tally` (exact up to 4,096
  distinct values; beyond, 4,096 weighted points with measured error bounds), the PSI bins
  cut on the reference's quantiles with their counts, the grid the values lie on with the
  count off it, the distinct count;
* categories: every category's count.

**Exactness.** A baseline made from a frame gives the same PSI, chi-square, Jensen-Shannon,
Hellinger, KL and total-variation values, the same quality checks and the same drifted
features as the frame itself (same bins, same counts). KS and Wasserstein are exact for a
column of at most 4,096 distinct values; past that KS is within the tally's ``rank_error``
(at most 2/4,096, 0.0005, measured and stored per column) and the raw Wasserstein distance
within its ``w_error`` (stored, in the column's units). :meth:`Baseline.merge` adds counts
exactly; the merged tallies carry the two bounds, row-weighted, plus what the merge's own
compression loses, and the merged PSI bins are cut on the merged tally (their counts are
within the rank error of exact).

**The file** (``.mlwatch``) is a parquet table, one row a column of the reference, with the
baseline's own fields as JSON under the key ``mlwatch`` of the file's metadata (``schema``:
``mlwatch.baseline/1``, ``n_rows``, ``bins``, ``created``, ``mlwatch``: the version that
wrote it). Nothing in it is code: loading never unpickles.

**Kept rows.** Summaries answer the audit of the whole window; the slice search, the trace
and the signal read rows. ``sample_rows=`` keeps a seeded uniform sample of the reference's
rows (every column, in their order) under the metadata key ``mlwatch.sample`` (Arrow IPC,
zstd), so that ``investigate(baseline, current)`` runs: the row-level steps and a slice's
audit read the kept rows, the population's audit the summaries. Off by default (a file of
summaries stays under a megabyte for a million rows).

**Larger than memory.** :meth:`Baseline.from_parquet` (and :func:`summarise_batches` under
it) reads a parquet file, folder, glob or hive-partitioned dataset batch by batch with
polars, summarises each batch and merges the summaries pairwise (so the bounds grow with
the logarithm of the batches, not their number): only summaries are ever held.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.errors import DataError, MissingColumnError, SchemaError, check_number
from mlwatch.stats import quality
from mlwatch.stats.binning import category_counts, quantile_edges
from mlwatch.stats.tally import POINTS, Tally

SCHEMA = "mlwatch.baseline/1"
SCAN_POINTS = 8 * POINTS      # points kept while a scan's batches are merged; the final tally keeps POINTS
BATCH_ROWS = 2_000_000
UNLIMITED = np.iinfo(np.int64).max


@dataclass(frozen=True, eq=False)
class ColumnSummary:
    """What the audit reads of one column of one window.

    ``kind`` is ``"numeric"`` (datetimes as microseconds) or ``"categorical"``; ``n`` counts
    every row, ``n_null`` the nulls, ``n_nan``/``n_inf`` the non-finite numbers. Numbers:
    ``tally`` (the finite values), ``edges``/``bin_counts`` (the PSI bins this window was
    counted in: interior edges, and the finite rows per bin, ``len(edges) + 1`` of them),
    ``grid`` (the grid step the values lie on, or None, and the rows off it), ``distinct``.
    Categories: ``categories`` (``{category: count}``, most frequent first). ``sorted`` holds
    the finite values themselves when the summary was made in memory (never saved)."""

    name: str
    kind: str
    dtype: str
    n: int
    n_null: int
    n_nan: int = 0
    n_inf: int = 0
    tally: Tally | None = None
    edges: np.ndarray | None = None
    bin_counts: np.ndarray | None = None
    grid: tuple[float | None, int] | None = None
    distinct: int = 0
    categories: dict[str, int] | None = None
    sorted: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_missing(self) -> int:
        """Rows in the PSI bins' missing bin: nulls, NaN and infinities."""
        return self.n_null + self.n_nan + self.n_inf

    @property
    def finite(self):
        """The finite values as the drift tests read them: sorted in memory, else the tally."""
        return self.sorted if self.sorted is not None else self.tally

    @classmethod
    def from_series(cls, series: pl.Series, kind: str, *, bins: int | None = 10, edges: np.ndarray | None = None,
                    points: int = POINTS, keep_sorted: bool = False) -> "ColumnSummary":
        """Summarise one column (``kind`` as the audit reads it). Numbers get PSI bins cut at
        their own quantiles (``bins``) or counted in given ``edges``."""
        dtype = str(series.dtype)
        if kind == "categorical":
            counts = category_counts(series, series.head(0))[0]
            return cls(series.name, kind, dtype, series.len(), series.null_count(), categories=counts)
        sorted_values, n_nan, n_inf = finite_sorted(series)
        tally = Tally.from_sorted(sorted_values, points=UNLIMITED)          # exact: the counts below are
        if edges is None and bins is not None and sorted_values.size:
            edges = quantile_edges(sorted_values, bins)
        bin_counts = tally.counts_in_bins(edges) if edges is not None else None
        with np.errstate(over="ignore", invalid="ignore"):       # values near 1e308: off every grid
            step = quality.grid_step(tally) if sorted_values.size else None
            grid = (step, quality.off_grid_count(tally, step) if step is not None else 0)
        distinct = tally.distinct
        if not keep_sorted and tally.values.size > points:
            tally = tally.compress(points, keep=quality.SENTINELS)
        return cls(series.name, "numeric", dtype, series.len(), series.null_count(), n_nan, n_inf, tally,
                   edges, bin_counts, grid, distinct, sorted=sorted_values if keep_sorted else None)

    def merge(self, other: "ColumnSummary", *, points: int = POINTS, bins: int | None = 10) -> "ColumnSummary":
        """The summary of both windows' rows. Bins counted in the same edges add up; bins cut
        apart are cut again on the merged tally (``bins`` of them)."""
        if other.kind != self.kind:
            raise SchemaError(f"column {self.name!r}: cannot merge a {self.kind} summary with a {other.kind} one")
        counts = dict(n=self.n + other.n, n_null=self.n_null + other.n_null, n_nan=self.n_nan + other.n_nan,
                      n_inf=self.n_inf + other.n_inf)
        if self.kind == "categorical":
            merged = dict(self.categories or {})
            for k, v in (other.categories or {}).items():
                merged[k] = merged.get(k, 0) + v
            ordered = dict(sorted(merged.items(), key=lambda kv: (-kv[1], kv[0])))
            return replace(self, **counts, categories=ordered, sorted=None)
        tally = self.tally.merge(other.tally, points=points, keep=quality.SENTINELS)
        if self.edges is not None and other.edges is not None and np.array_equal(self.edges, other.edges):
            edges, bin_counts = self.edges, self.bin_counts + other.bin_counts
        else:
            edges = bin_counts = None
        grid = _merged_grid(self, other)
        distinct = tally.distinct if tally.exact else max(self.distinct, other.distinct, tally.distinct)
        merged = replace(self, **counts, tally=tally, edges=edges, bin_counts=bin_counts, grid=grid,
                         distinct=distinct, sorted=None)
        return merged.cut(bins) if edges is None and bins is not None and tally.n else merged

    def cut(self, bins: int) -> "ColumnSummary":
        """The same summary with its PSI bins cut again, ``bins`` of them, on the tally (for an
        audit asking for other bins than the baseline kept: counts within the rank error)."""
        edges = np.unique(self.tally.quantile(np.arange(1, bins) / bins))
        return replace(self, edges=edges, bin_counts=self.tally.counts_in_bins(edges))

    # ---- the file's row
    def to_row(self) -> dict[str, Any]:
        t = self.tally
        return {"name": self.name, "kind": self.kind, "dtype": self.dtype, "n": self.n, "n_null": self.n_null,
                "n_nan": self.n_nan, "n_inf": self.n_inf, "distinct": self.distinct,
                "values": None if t is None else t.values.tolist(),
                "counts": None if t is None else t.counts.tolist(),
                "exact": None if t is None else t.exact,
                "rank_error": None if t is None else t.rank_error,
                "w_error": None if t is None else t.w_error,
                "edges": None if self.edges is None else self.edges.tolist(),
                "bin_counts": None if self.bin_counts is None else self.bin_counts.tolist(),
                "grid_step": None if self.grid is None else self.grid[0],
                "grid_off": None if self.grid is None else self.grid[1],
                "categories": None if self.categories is None else list(self.categories),
                "category_counts": None if self.categories is None else list(self.categories.values())}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "ColumnSummary":
        tally = None if row["values"] is None else Tally(
            np.asarray(row["values"], float), np.asarray(row["counts"], np.int64), bool(row["exact"]),
            float(row["rank_error"]), float(row["w_error"]))
        return cls(row["name"], row["kind"], row["dtype"], int(row["n"]), int(row["n_null"]), int(row["n_nan"]),
                   int(row["n_inf"]), tally,
                   None if row["edges"] is None else np.asarray(row["edges"], float),
                   None if row["bin_counts"] is None else np.asarray(row["bin_counts"], np.int64),
                   None if row["grid_off"] is None else (row["grid_step"], int(row["grid_off"])),
                   int(row["distinct"]),
                   None if row["categories"] is None else dict(zip(row["categories"], row["category_counts"])))


def row_schema():
    """The file's columns (see the module)."""
    import pyarrow as pa

    return pa.schema([
        ("name", pa.string()), ("kind", pa.string()), ("dtype", pa.string()), ("n", pa.int64()),
        ("n_null", pa.int64()), ("n_nan", pa.int64()), ("n_inf", pa.int64()), ("distinct", pa.int64()),
        ("values", pa.list_(pa.float64())), ("counts", pa.list_(pa.int64())), ("exact", pa.bool_()),
        ("rank_error", pa.float64()), ("w_error", pa.float64()), ("edges", pa.list_(pa.float64())),
        ("bin_counts", pa.list_(pa.int64())), ("grid_step", pa.float64()), ("grid_off", pa.int64()),
        ("categories", pa.list_(pa.string())), ("category_counts", pa.list_(pa.int64()))])


@dataclass(frozen=True, eq=False)
class Baseline:
    """A reference window kept as :class:`ColumnSummary` per column (see the module).

    >>> ref = pl.DataFrame({"age": [20, 30, 30, 40] * 50, "city": ["a", "b", "b", "c"] * 50})
    >>> base = Baseline.from_frame(ref, bins=4)
    >>> base.n_rows, base.columns, base["city"].categories
    (200, ['age', 'city'], {'b': 100, 'a': 50, 'c': 50})
    >>> from mlwatch import audit
    >>> audit(base, ref.with_columns(pl.col("age") * 12)).drifted
    ['age']
    """

    columns_: dict[str, ColumnSummary]
    n_rows: int
    bins: int = 10
    created: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    types: Any = None                  # the reference's pyarrow schema (its columns' exact types)
    sample: pl.DataFrame | None = field(default=None, repr=False)   # reference rows kept for investigate

    # ---- reading
    @property
    def columns(self) -> list[str]:
        return list(self.columns_)

    def __getitem__(self, column: str) -> ColumnSummary:
        if column not in self.columns_:
            raise MissingColumnError(f"baseline: no column {column!r} (columns: {', '.join(self.columns_)})",
                                     column=column, frame="reference")
        return self.columns_[column]

    def __contains__(self, column: str) -> bool:
        return column in self.columns_

    def __repr__(self) -> str:
        kept = f", {self.sample.height:,} rows kept" if self.sample is not None else ""
        return f"Baseline({self.n_rows:,} rows, {len(self.columns_)} columns, {self.bins} bins{kept})"

    def with_sample(self, rows: pl.DataFrame | None) -> "Baseline":
        """The same summaries with ``rows`` kept as the reference's sample."""
        return replace(self, sample=rows, meta={**self.meta, "sample_rows": 0 if rows is None else rows.height})

    # ---- building
    @classmethod
    def from_frame(cls, reference, *, features: Sequence[str] | None = None, exclude: Sequence[str] = (),
                   kinds: Mapping[str, str] | None = None, bins: int = 10, points: int = POINTS,
                   sample_rows: int = 0) -> "Baseline":
        """Summarise a reference frame (polars, pandas, pyarrow, or a parquet/CSV path).
        ``kinds`` overrides a column's kind (``{"zip": "categorical"}``). ``sample_rows`` keeps
        that many reference rows (every column, a seeded uniform sample in their order) so
        that :func:`~mlwatch.investigate` can run against the baseline: its row-level steps
        and the audit of a slice read them (see :func:`keep_rows`)."""
        check_number("bins", bins, low=2, high=1000, integer=True)
        check_number("sample_rows", sample_rows, low=0, integer=True)
        frame = original = data.to_frame(reference, name="reference")
        if frame.height == 0:
            raise DataError("reference: no rows to summarise", frame="reference")
        names = list(dict.fromkeys(features if features is not None else
                                   [c for c in frame.columns if c not in set(exclude)]))
        data.require_columns(frame, names, name="reference")
        frame, _, schema = data.align(frame, frame, names, kinds=kinds)
        summaries = {c: ColumnSummary.from_series(frame[c], summary_kind(schema.kinds[c]), bins=bins, points=points)
                     for c in names}
        for c in names:
            summaries[c] = replace(summaries[c], dtype=schema.reference_dtypes[c])
        base = cls(summaries, frame.height, bins, _now(), types=original.select(names).head(0).to_arrow().schema)
        return base.with_sample(keep_rows(original, sample_rows)) if sample_rows else base

    @classmethod
    def from_parquet(cls, source, *, features: Sequence[str] | None = None, exclude: Sequence[str] = (),
                     kinds: Mapping[str, str] | None = None, bins: int = 10, batch_rows: int = BATCH_ROWS,
                     progress: bool | None = None, sample_rows: int = 0) -> "Baseline":
        """Summarise a parquet dataset larger than memory (a file, a folder, a glob, a hive-
        partitioned tree) batch by batch; see :func:`summarise_batches`. ``sample_rows`` as in
        :meth:`from_frame` (read in a second pass)."""
        lazy = scan(source)
        base = summarise_batches(lazy, features=features, exclude=exclude, kinds=kinds, bins=bins,
                                 batch_rows=batch_rows, progress=progress, name="reference")
        return base._sampled(source, sample_rows)

    def _sampled(self, source, sample_rows: int) -> "Baseline":
        check_number("sample_rows", sample_rows, low=0, integer=True)
        if not sample_rows:
            return self
        from mlwatch.sources import read_rows

        return self.with_sample(read_rows(source, sample_rows, name="reference")[0])

    @classmethod
    def from_spark(cls, df, *, features: Sequence[str] | None = None, exclude: Sequence[str] = (),
                   kinds: Mapping[str, str] | None = None, bins: int = 10, sample_rows: int = 0) -> "Baseline":
        """Summarise a ``pyspark.sql.DataFrame`` on its executors: only summaries reach the
        driver (see :mod:`mlwatch.sources`); ``sample_rows`` as in :meth:`from_frame`."""
        from mlwatch.sources import is_spark, summarise_spark

        if not is_spark(df):
            raise DataError(f"Baseline.from_spark: expected a pyspark DataFrame, got a {type(df).__name__}")
        check_number("bins", bins, low=2, high=1000, integer=True)
        return summarise_spark(df, features=features, exclude=exclude, kinds=kinds, bins=bins)._sampled(df, sample_rows)

    @classmethod
    def from_sql(cls, uri: str, query: str, *, features: Sequence[str] | None = None, exclude: Sequence[str] = (),
                 kinds: Mapping[str, str] | None = None, bins: int = 10, progress: bool | None = None,
                 sample_rows: int = 0) -> "Baseline":
        """Summarise a query's result as it streams from the database (``postgresql://``);
        see :mod:`mlwatch.sources`; ``sample_rows`` as in :meth:`from_frame`."""
        from mlwatch.sources import SQL, summarise_sql

        check_number("bins", bins, low=2, high=1000, integer=True)
        source = SQL(uri, query)
        return summarise_sql(source, features=features, exclude=exclude, kinds=kinds, bins=bins,
                             progress=progress)._sampled(source, sample_rows)

    def merge(self, other: "Baseline") -> "Baseline":
        """The baseline of both references' rows (say, two days of training data summarised
        apart). Their columns must be the same, of the same kinds."""
        if set(self.columns_) != set(other.columns_):
            raise SchemaError("baselines of different columns cannot merge: "
                              f"{sorted(set(self.columns_) ^ set(other.columns_))} are in one only")
        merged = {c: self.columns_[c].merge(other.columns_[c], bins=self.bins) for c in self.columns_}
        base = Baseline(merged, self.n_rows + other.n_rows, self.bins, _now(), {**self.meta, "merged": True},
                        self.types)
        return base.with_sample(_merged_sample(self, other)) if self.sample is not None or other.sample is not None \
            else base

    def stand_in(self, names: Sequence[str]) -> pl.DataFrame:
        """One row of the reference's column types (a value each column holds), for the
        intake checks that compare types: the current window is read against it."""
        empty = pl.from_arrow(self.types.empty_table()) if self.types is not None else None
        columns = []
        for c in names:
            s = self[c]
            if s.kind == "categorical":
                value = pl.Series(c, [next(iter(s.categories or {}), "")])
            else:
                value = pl.Series(c, [float(s.tally.values[0]) if s.tally is not None and s.tally.n else 0.0])
            dtype = empty.schema[c] if empty is not None and c in empty.schema else \
                (pl.String if s.kind == "categorical" else pl.Float64)
            if dtype.is_temporal() and not isinstance(dtype, pl.Duration) and dtype != pl.Time:
                value = value.cast(pl.Int64).cast(pl.Datetime("us"))
            columns.append(value.cast(dtype, strict=False))
        return pl.DataFrame(columns)

    # ---- the file
    def save(self, path) -> Path:
        """Write the baseline (parquet, see the module); returns the path."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        table = pa.Table.from_pylist([c.to_row() for c in self.columns_.values()], schema=row_schema())
        meta = {"schema": SCHEMA, "n_rows": self.n_rows, "bins": self.bins, "created": self.created,
                "mlwatch": _version(), **self.meta}
        if self.types is not None:
            meta["types"] = base64.b64encode(self.types.serialize().to_pybytes()).decode("ascii")
        files = {"mlwatch": json.dumps(meta)}
        if self.sample is not None:          # the kept rows: Arrow IPC, zstd, under their own key
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, self.sample.to_arrow().schema,
                                   options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
                writer.write_table(self.sample.to_arrow())
            files["mlwatch.sample"] = base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")
        table = table.replace_schema_metadata(files)
        pq.write_table(table, path, compression="zstd")
        return path

    @classmethod
    def load(cls, path) -> "Baseline":
        """Read a baseline written by :meth:`save`."""
        import pyarrow.parquet as pq

        path = Path(path)
        if not path.is_file():
            raise DataError(f"baseline: no file {str(path)!r}")
        try:
            table = pq.read_table(path)
        except Exception as err:        # pyarrow raises its own errors for a file that is not parquet
            raise SchemaError(f"baseline: {str(path)!r} is not a baseline file ({type(err).__name__})") from None
        raw = (table.schema.metadata or {}).get(b"mlwatch")
        meta = json.loads(raw) if raw else {}
        if meta.get("schema") != SCHEMA:
            raise SchemaError(f"baseline: {str(path)!r} is not a {SCHEMA} file (schema {meta.get('schema')!r})")
        columns = {row["name"]: ColumnSummary.from_row(row) for row in table.to_pylist()}
        extra = {k: v for k, v in meta.items() if k not in ("schema", "n_rows", "bins", "created", "mlwatch", "types")}
        import pyarrow as pa

        types = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(meta["types"]))) if meta.get("types") else None
        kept = (table.schema.metadata or {}).get(b"mlwatch.sample")
        sample = pl.from_arrow(pa.ipc.open_stream(pa.py_buffer(base64.b64decode(kept))).read_all()) if kept else None
        return cls(columns, int(meta["n_rows"]), int(meta["bins"]), meta.get("created", ""), extra, types, sample)


def is_dataset(source) -> bool:
    """A parquet folder or a glob: a source read batch by batch, never as one file."""
    text = str(source)
    return Path(text).is_dir() or any(ch in text for ch in "*?[")


def load_reference(value):
    """A Baseline as it is; a path to a ``.mlwatch`` file loaded; anything else unchanged."""
    if isinstance(value, (str, Path)) and str(value).endswith(".mlwatch"):
        return Baseline.load(value)
    return value


# ------------------------------------------------------------------ larger than memory

def scan(source) -> pl.LazyFrame:
    """A lazy frame over a parquet dataset: a file, a folder (every ``*.parquet`` under it,
    hive partitions read as columns), or a glob."""
    if isinstance(source, pl.LazyFrame):
        return source
    path = str(source)
    folder = Path(path).is_dir()
    if folder:
        path = str(Path(path) / "**" / "*.parquet")
    try:
        lazy = pl.scan_parquet(path, hive_partitioning=True if folder or "**" in path else None)
        lazy.collect_schema()
    except (pl.exceptions.PolarsError, OSError, FileNotFoundError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DataError(f"cannot scan {str(source)!r} as parquet: {first}") from None
    return lazy


def summarise_batches(lazy: pl.LazyFrame, *, features: Sequence[str] | None = None, exclude: Sequence[str] = (),
                      kinds: Mapping[str, str] | None = None, bins: int | None = 10,
                      edges: Mapping[str, np.ndarray] | None = None, batch_rows: int = BATCH_ROWS,
                      progress: bool | None = None, name: str = "reference") -> "Baseline":
    """Summarise a lazy frame batch by batch (polars' streaming engine reads the batches), one
    :class:`ColumnSummary` per column per batch, merged pairwise. ``edges`` counts numeric
    columns in given PSI bins (a current window in its reference's bins: those counts are
    exact); otherwise bins are cut on the final tally."""
    from mlwatch.progress import bar

    schema = lazy.collect_schema()
    column_kinds = plan(schema, features=features, exclude=exclude, kinds=kinds, name=name)
    total = lazy.select(pl.len()).collect().item()
    if total == 0:
        raise DataError(f"{name}: no rows to summarise", frame=name)
    prepared = lazy.select(prepare(schema, column_kinds))
    # the columns of a batch on threads: their sorts release the GIL
    with bar(total, f"summarising {name}", progress) as tick, ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        result = summarise_frames(prepared.collect_batches(chunk_size=batch_rows), column_kinds, edges=edges,
                                  tick=tick, pool=pool)
    return finish(result, schema, bins, {"source": "scan"})


def plan(schema: Mapping[str, pl.DataType], *, features: Sequence[str] | None = None, exclude: Sequence[str] = (),
         kinds: Mapping[str, str] | None = None, name: str = "reference") -> dict[str, str]:
    """The columns a summary covers and the family each is read as (``numeric`` or
    ``categorical``): every column not excluded by default; a missing or unsupported one
    fails naming it."""
    names = list(dict.fromkeys(features if features is not None else [c for c in schema if c not in set(exclude)]))
    if not names:
        raise DataError(f"{name}: no column to summarise", frame=name)
    missing = [c for c in names if c not in schema]
    if missing:
        raise MissingColumnError(f"{name}: no column {missing[0]!r}", column=missing[0], frame=name)
    kinds = dict(kinds or {})
    column_kinds = {c: summary_kind(kinds.get(c) or data.kind_of(schema[c])) for c in names}
    for c, k in column_kinds.items():
        if k == "unsupported":
            raise DataError(f"{name}: column {c!r} has unsupported type {schema[c]}", column=c, frame=name)
    return column_kinds


def prepare(schema: Mapping[str, pl.DataType], column_kinds: Mapping[str, str]) -> list[pl.Expr]:
    """The planned columns as the summaries read them (see :func:`plan`)."""
    return [_prepare(c, schema[c], k) for c, k in column_kinds.items()]


def summarise_frames(frames: Iterable[pl.DataFrame], column_kinds: Mapping[str, str], *,
                     edges: Mapping[str, np.ndarray] | None = None, points: int = SCAN_POINTS,
                     tick=None, pool: ThreadPoolExecutor | None = None) -> dict[str, ColumnSummary] | None:
    """Summaries of prepared frames (:func:`prepare`), one per column per frame, merged as a
    binary counter (pairwise, so the tallies' bounds grow with the logarithm of the frames);
    None when no frame came. The unit a Spark partition and a SQL cursor summarise too."""
    names = list(column_kinds)
    stack: list[tuple[int, dict[str, ColumnSummary]]] = []       # (level, summaries)

    def summarised(frame: pl.DataFrame, c: str) -> ColumnSummary:
        return ColumnSummary.from_series(frame[c], column_kinds[c], bins=None,
                                         edges=None if edges is None else edges.get(c), points=points)

    for frame in frames:
        if frame.height == 0:
            continue
        part = dict(zip(names, (pool.map if pool is not None else map)(lambda c: summarised(frame, c), names)))
        level = 0
        while stack and stack[-1][0] == level:
            part = merge_summaries([stack.pop()[1], part], points=points)
            level += 1
        stack.append((level, part))
        if tick is not None:
            tick(frame.height)
    return merge_summaries([s for _, s in stack], points=points) if stack else None


def merge_summaries(parts: Sequence[Mapping[str, ColumnSummary]], *, points: int = SCAN_POINTS
                    ) -> dict[str, ColumnSummary]:
    """Merge summaries of the same columns, pairwise in a balanced tree."""
    parts = [dict(p) for p in parts]
    while len(parts) > 1:
        paired = [{c: a[c].merge(b[c], points=points, bins=None) for c in a} for a, b in zip(parts[::2], parts[1::2])]
        parts = paired + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def finish(result: Mapping[str, ColumnSummary] | None, schema: Mapping[str, pl.DataType], bins: int | None,
           meta: Mapping[str, Any], *, name: str = "reference") -> "Baseline":
    """A :class:`Baseline` of merged summaries: tallies compressed to :data:`POINTS`, PSI bins
    cut on the merged (finer) tally unless they were counted in given edges."""
    if not result:
        raise DataError(f"{name}: no rows to summarise", frame=name)
    final = {}
    for c, s in result.items():
        if s.kind == "numeric":
            tally = s.tally.compress(POINTS, keep=quality.SENTINELS)
            if s.edges is None and bins is not None and s.tally.n:
                s = s.cut(bins)                  # counted on the scan's finer tally
            s = replace(s, tally=tally)
        final[c] = replace(s, dtype=str(schema[c]))
    n_rows = next(iter(final.values())).n
    types = pl.DataFrame(schema={c: schema[c] for c in final}).to_arrow().schema
    return Baseline(final, int(n_rows), bins or 10, _now(), dict(meta), types)


def _prepare(column: str, dtype: pl.DataType, kind: str) -> pl.Expr:
    """The column as the summary reads it: datetimes as microseconds, categories as text."""
    expr = pl.col(column)
    if kind == "categorical":
        return expr if data.kind_of(dtype) == "categorical" else expr.cast(pl.String)
    if dtype.is_temporal():
        return expr.cast(pl.Datetime("us")).cast(pl.Int64) if not isinstance(dtype, pl.Duration) else \
            (expr.dt.total_microseconds() / 1e6)
    return expr


# ------------------------------------------------------------------ helpers

def finite_sorted(series: pl.Series) -> tuple[np.ndarray, int, int]:
    """Sorted finite values, and the NaN and inf counts (nulls are counted by polars)."""
    if series.dtype.is_temporal():
        series = series.cast(pl.Int64)
    values = series.cast(pl.Float64).to_numpy()
    finite_mask = np.isfinite(values)
    n_finite = int(np.count_nonzero(finite_mask))
    if n_finite == values.size:                      # the common case: no copy through a mask
        return np.sort(values), 0, 0
    n_bad = values.size - n_finite - series.null_count()
    n_inf = int(np.isinf(values).sum()) if n_bad else 0
    finite = values[finite_mask]
    finite.sort()
    return finite, n_bad - n_inf, n_inf


def summary_kind(kind: str) -> str:
    """The audit's two families: numbers (datetimes, booleans read as numbers) and categories."""
    return "categorical" if kind == "categorical" else ("unsupported" if kind == "unsupported" else "numeric")


def keep_rows(frame: pl.DataFrame, rows: int, *, seed: int = 0) -> pl.DataFrame:
    """A seeded uniform sample of ``rows`` rows of ``frame`` (all when it has fewer), in
    their order (a time-ordered log stays time-ordered)."""
    if rows >= frame.height:
        return frame
    picked = np.sort(np.random.default_rng(seed).choice(frame.height, rows, replace=False))
    return frame[picked]


def _merged_sample(a: "Baseline", b: "Baseline") -> pl.DataFrame | None:
    """The kept rows of a merged baseline: each side's in proportion to its rows, as many as
    the larger sample (a side that kept none contributes none: say so by its absence)."""
    samples = [(s.sample, s.n_rows) for s in (a, b) if s.sample is not None]
    if len(samples) == 1:
        return samples[0][0]
    (x, nx), (y, ny) = samples
    size = max(x.height, y.height)
    from_x = min(x.height, round(size * nx / (nx + ny)))
    from_y = min(y.height, size - from_x)
    return pl.concat([keep_rows(x, from_x, seed=1), keep_rows(y, from_y, seed=2)], how="vertical_relaxed")


def _merged_grid(a: ColumnSummary, b: ColumnSummary) -> tuple[float | None, int]:
    """The grid of both windows: the same step when they share it (off counts add up); the
    finer of two steps otherwise, the off counts added (an upper bound: every coarser grid
    but quarters lies on the finer ones); no grid when either lies on none."""
    for x, y in ((a, b), (b, a)):
        if x.tally is not None and x.tally.n == 0:           # no finite value (a partition of nulls): no say
            return y.grid if y.grid is not None else (None, 0)
    if a.grid is None or b.grid is None or a.grid[0] is None or b.grid[0] is None:
        return None, 0
    return min(a.grid[0], b.grid[0]), a.grid[1] + b.grid[1]


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _version() -> str:
    from mlwatch import __version__
    return __version__


__all__ = ["Baseline", "ColumnSummary", "finish", "is_dataset", "keep_rows", "merge_summaries", "plan", "prepare", "scan",
           "summarise_batches", "summarise_frames"]
