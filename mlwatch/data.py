"""Intake: the one door data comes through.

pandas and polars frames, pyarrow tables and parquet/CSV paths become one polars
DataFrame; the column kinds (numeric, categorical, boolean, datetime) and roles (target,
prediction, time, segments, features) are inferred, with overrides; reference and current
are made comparable. Every bad input ends here with an error of :mod:`mlwatch.errors`
naming the column and the frame.

Documented fallbacks rather than errors:

* a numeric column that is integer on one side and float on the other is read as float
  on both, and a column of numbers that arrives as text on one side is parsed as
  numbers when every value parses; both are reported by the ``type_change`` check;
* NaN and +/-inf in a numeric column are counted (the ``non_finite`` check), never fatal;
* a column that is all null in the *current* frame is a finding (a null spike), not an
  error; all null in the *reference* leaves nothing to compare against and is an error.
"""

from __future__ import annotations


from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import polars as pl

from mlwatch.errors import (
    AllNullError, DataError, EmptyDataError, MissingColumnError, MixedTypesError,
    SchemaMismatchError, UnhashableColumnError, check_choice,
)

KINDS = ("numeric", "categorical", "boolean", "datetime")
MAX_SEGMENT_CARDINALITY = 50


# ---------------------------------------------------------------------- reading

def to_frame(data: Any, *, name: str = "data", null_values: Sequence[str] | None = None) -> pl.DataFrame:
    """Turn ``data`` into a polars DataFrame.

    ``data`` may be a polars DataFrame or LazyFrame, a pandas DataFrame, a pyarrow
    Table, the path of a parquet or CSV file, a parquet folder or glob, a query
    (:func:`mlwatch.sql`), read whole, or a :class:`~mlwatch.Baseline` that kept rows (those
    rows). ``name`` (say ``"reference"``) is used
    in error messages. ``null_values`` are the texts a CSV writes for a missing value
    besides the empty field (``["NA"]``).

    >>> import pandas as pd
    >>> to_frame(pd.DataFrame({"a": [1, 2]})).shape
    (2, 1)
    >>> to_frame(pd.DataFrame({"a": [1, "x"]}), name="current")
    Traceback (most recent call last):
    ...
    mlwatch.errors.MixedTypesError: current: column 'a' mixes types (int, str); give it one type
    """
    if isinstance(data, pl.LazyFrame):
        try:
            data = data.collect()
        except (pl.exceptions.PolarsError, OSError) as err:
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise DataError(f"{name}: the lazy frame failed to collect: {first}", frame=name) from None
    if isinstance(data, pl.DataFrame):
        frame = data
    elif isinstance(data, (str, Path)):
        frame = _read_path(Path(data), name, null_values)
    elif type(data).__module__.startswith("pandas"):
        frame = _from_pandas(data, name)
    elif type(data).__name__ == "SQL" and type(data).__module__ == "mlwatch.sources":
        frame = data.read(name)
    elif type(data).__name__ == "Baseline" and type(data).__module__ == "mlwatch.baseline":
        if data.sample is None:              # a step that reads rows: the rows the baseline kept
            raise DataError(f"{name}: this baseline kept no rows, and this step reads rows: make it with "
                            "sample_rows (Baseline.from_frame(reference, sample_rows=100_000))", frame=name)
        frame = data.sample
    elif type(data).__module__.startswith("pyspark.sql"):
        raise DataError(f"{name}: a Spark DataFrame is summarised where it lives, not collected: audit() and "
                        "Baseline.from_spark() take it; for this step pass its rows (df.toArrow()) when they fit "
                        "in memory", frame=name)
    elif type(data).__module__.startswith("pyarrow"):
        frame = pl.from_arrow(data)
        if not isinstance(frame, pl.DataFrame):
            raise DataError(f"{name}: expected a table, got a pyarrow {type(data).__name__}", frame=name)
    else:
        raise DataError(f"{name}: cannot read a {type(data).__name__}; give a polars or pandas "
                        "DataFrame, a pyarrow Table, or a parquet/CSV path", frame=name)
    _check_hashable(frame, name)
    return frame


def _read_path(path: Path, name: str, null_values: Sequence[str] | None = None) -> pl.DataFrame:
    from mlwatch.baseline import is_dataset, scan

    if is_dataset(path):                   # a parquet folder (hive partitions as columns) or a glob
        try:
            return scan(path).collect()
        except DataError as err:
            raise DataError(f"{name}: {err}", frame=name) from None
        except (pl.exceptions.PolarsError, OSError) as err:
            raise DataError(f"{name}: cannot read {path}: {err}", frame=name) from None
    if not path.exists():
        raise DataError(f"{name}: no such file {path}", frame=name)
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        if suffix in (".csv", ".txt", ".tsv"):
            return pl.read_csv(path, separator="\t" if suffix == ".tsv" else ",",
                               infer_schema_length=10_000, try_parse_dates=True,
                               null_values=list(null_values) if null_values else None)
    except (pl.exceptions.PolarsError, OSError) as err:
        raise DataError(f"{name}: cannot read {path}: {err}", frame=name) from None
    raise DataError(f"{name}: {path} is neither parquet (.parquet, .pq) nor CSV (.csv, .tsv)", frame=name)


def _from_pandas(df, name: str) -> pl.DataFrame:
    repeated = df.columns[df.columns.duplicated()]
    if len(repeated):
        raise DataError(f"{name}: column {repeated[0]!r} appears more than once; give every column its own name",
                        column=str(repeated[0]), frame=name)
    try:
        return pl.from_pandas(df)
    except (ValueError, TypeError, pl.exceptions.PolarsError):
        pass
    for column in df.columns:  # find the column that pyarrow refused, to name it
        try:
            pl.from_pandas(df[[column]])
        except (ValueError, TypeError, pl.exceptions.PolarsError):
            values = df[column].dropna()
            types = sorted({type(v).__name__ for v in values})
            if any(isinstance(v, (list, dict, set)) for v in values):
                raise UnhashableColumnError(
                    f"{name}: column {column!r} holds {', '.join(types)} values, which cannot be "
                    "counted or binned", column=str(column), frame=name) from None
            raise MixedTypesError(f"{name}: column {column!r} mixes types ({', '.join(types)}); give it one type",
                                  column=str(column), frame=name) from None
    raise DataError(f"{name}: pandas frame could not be converted", frame=name)


def _check_hashable(frame: pl.DataFrame, name: str) -> None:
    for column, dtype in frame.schema.items():
        if isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Object)):
            raise UnhashableColumnError(
                f"{name}: column {column!r} holds {dtype} values, which cannot be counted or binned",
                column=column, frame=name)


# ------------------------------------------------------------------------ kinds

def kind_of(dtype: pl.DataType) -> str:
    """The kind a polars dtype is read as.

    >>> kind_of(pl.Int32), kind_of(pl.Categorical), kind_of(pl.Boolean), kind_of(pl.Date)
    ('numeric', 'categorical', 'boolean', 'datetime')
    """
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_numeric():
        return "numeric"
    if dtype.is_temporal():
        return "datetime"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.Enum, pl.Categorical)):
        return "categorical"
    return "unsupported"


@dataclass(frozen=True)
class Schema:
    """What intake learned of the columns both frames share."""

    kinds: dict[str, str]
    reference_dtypes: dict[str, str]
    current_dtypes: dict[str, str]
    changed: dict[str, bool] = field(default_factory=dict)

    def type_changed(self, column: str) -> bool:
        """The column changed kind, or went between integer and float (width changes
        and categorical vs string are not changes)."""
        return column in self.changed

    def type_change_breaks(self, column: str) -> bool:
        """Whether the change alters what the values say: numbers arriving as text does;
        integer vs float does not, nor category codes stored as numbers on one side when
        their text matches the reference's categories (a CSV against a parquet file)."""
        return self.changed.get(column, False)


def require_columns(frame: pl.DataFrame, columns: Sequence[str], *, name: str) -> None:
    """Raise :class:`MissingColumnError` for the first of ``columns`` not in ``frame``."""
    present = set(frame.columns)
    for column in columns:
        if column not in present:
            known = ", ".join(frame.columns[:20]) + (" ..." if frame.width > 20 else "")
            raise MissingColumnError(f"{name}: no column {column!r} (columns: {known})",
                                     column=column, frame=name)


def utc_naive(times: pl.Series) -> pl.Series:
    """Datetimes as naive UTC: an aware series converted to UTC, a naive one taken as UTC
    already; dates become midnight datetimes; anything else is returned as it is."""
    if isinstance(times.dtype, pl.Datetime):
        if times.dtype.time_zone is not None:
            times = times.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return times.cast(pl.Datetime("us"))
    if times.dtype == pl.Date:
        return times.cast(pl.Datetime("us"))
    return times


def align_time(reference: pl.DataFrame, current: pl.DataFrame, time: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both frames with ``time`` on one axis: dates and datetimes as naive UTC (an aware
    column converted, a naive one taken as UTC, so a zone on one side only cannot misplace
    a row), text parsed as datetimes, numbers kept. Errors name the frame and the column:
    a time column all empty, text that is not dates, dates on one side and numbers on the other.

    >>> import datetime as dt
    >>> ref = pl.DataFrame({"t": [dt.datetime(2024, 1, 1, 12)]}).with_columns(pl.col("t").dt.replace_time_zone("UTC"))
    >>> cur = pl.DataFrame({"t": ["2024-01-02 09:30"]})
    >>> [f["t"].to_list() for f in align_time(ref, cur, "t")]
    [[datetime.datetime(2024, 1, 1, 12, 0)], [datetime.datetime(2024, 1, 2, 9, 30)]]
    """
    out = []
    for name, frame in (("reference", reference), ("current", current)):
        require_columns(frame, [time], name=name)
        times = frame[time]
        if times.len() and times.null_count() == times.len():
            raise AllNullError(f"{name}: time column {time!r} is empty (all null)", column=time, frame=name)
        if times.dtype == pl.String:
            try:
                times = times.str.to_datetime(strict=True)
            except pl.exceptions.PolarsError:
                raise SchemaMismatchError(f"{name}: time column {time!r} holds text that is not dates "
                                          f"(first value {times.drop_nulls()[0]!r})", column=time, frame=name) from None
        elif not (times.dtype.is_temporal() or times.dtype.is_numeric()):
            raise SchemaMismatchError(f"{name}: time column {time!r} must hold dates, datetimes or numbers, "
                                      f"not {times.dtype}", column=time, frame=name)
        out.append(frame.with_columns(utc_naive(times).alias(time)))
    kinds = {f[time].dtype.is_temporal() for f in out}
    if len(kinds) > 1:
        raise SchemaMismatchError(f"time column {time!r} holds dates on one side and numbers on the other",
                                  column=time)
    return out[0], out[1]


def fill_missing_columns(reference: pl.DataFrame, current: pl.DataFrame,
                         columns: Sequence[str]) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """``current`` with the ``columns`` of the reference it lacks added as all-null columns of
    the reference's type, and their names: a column lost upstream is itself an incident (the
    audit reports it as a failed ``column_missing`` check) rather than a column to skip.

    >>> cur, gone = fill_missing_columns(pl.DataFrame({"a": [1], "b": ["x"]}), pl.DataFrame({"a": [2]}), ["a", "b"])
    >>> gone, cur.schema["b"], cur["b"].null_count()
    (('b',), String, 1)
    """
    present, schema = set(current.columns), reference.schema
    gone = tuple(c for c in dict.fromkeys(columns) if c not in present and c in schema)
    if not gone:
        return current, ()
    return current.with_columns(pl.lit(None, dtype=schema[c]).alias(c) for c in gone), gone


def align(reference: pl.DataFrame, current: pl.DataFrame, columns: Sequence[str], *,
          kinds: Mapping[str, str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame, Schema]:
    """Check ``columns`` against each other in both frames and make their types comparable.

    Returns both frames restricted to ``columns`` (cast where needed) and the
    :class:`Schema`. ``kinds`` overrides the inferred kind of some columns
    (say ``{"zip": "categorical"}`` for a code stored as an integer).

    >>> ref = pl.DataFrame({"x": [1, 2, 3]}); cur = pl.DataFrame({"x": [1.5, None, 2.0]})
    >>> _, cur2, schema = align(ref, cur, ["x"])
    >>> schema.kinds, schema.reference_dtypes, schema.current_dtypes, cur2["x"].dtype
    ({'x': 'numeric'}, {'x': 'Int64'}, {'x': 'Float64'}, Float64)
    """
    kinds = dict(kinds or {})
    for column, kind in kinds.items():
        check_choice(f"kind for column {column!r}", kind, KINDS)
    require_columns(reference, columns, name="reference")
    require_columns(current, columns, name="current")
    _check_not_empty(reference, "reference")
    _check_not_empty(current, "current")
    described = {side: {c: str(d) + (" (as seconds)" if isinstance(d, pl.Duration) or d == pl.Time else "")
                        for c, d in frame.schema.items()} for side, frame in (("r", reference), ("c", current))}
    reference, current = _as_seconds(reference, columns), _as_seconds(current, columns)
    rs, cs = reference.schema, current.schema         # built once: a frame rebuilds it on each call
    for column in columns:
        if rs[column] == pl.Null:
            raise AllNullError(f"reference: column {column!r} has no value (all null); nothing to compare "
                               "the current data against (leave it out of the features)",
                               column=column, frame="reference")
    nulls = [c for c in columns if cs[c] == pl.Null]
    if nulls:      # all None, as pandas writes an empty column: a null spike of the reference's type
        current = current.with_columns(pl.col(c).cast(rs[c]) for c in nulls)
        cs = current.schema
    ref_exprs, cur_exprs, schema_kinds = [], [], {}
    for column in columns:
        rd, cd = rs[column], cs[column]
        kind, rcast, ccast = _harmonise(column, rd, cd, kinds.get(column), current[column])
        schema_kinds[column] = kind
        ref_exprs.append(pl.col(column).cast(rcast) if rcast is not None else pl.col(column))
        cur_exprs.append(pl.col(column).cast(ccast) if ccast is not None else pl.col(column))
    ref_out = reference.select(ref_exprs)
    cur_out = current.select(cur_exprs)
    for column in columns:
        _check_not_all_null(ref_out[column], schema_kinds[column])
    changed = {c: _breaks(reference[c], current[c]) for c in columns
               if _type_class(rs[c]) != _type_class(cs[c])}
    schema = Schema(schema_kinds, {c: described["r"][c] for c in columns}, {c: described["c"][c] for c in columns},
                    changed)
    return ref_out, cur_out, schema


def _as_seconds(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Durations and times of day as numbers of seconds (a duration's length, the seconds since
    midnight): they are compared as numbers, and the findings say so in the column's dtype.
    Datetimes become naive UTC (:func:`utc_naive`): a zone on one side only moves no row."""
    schema = frame.schema
    exprs = []
    for column in columns:
        dtype = schema[column]
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            exprs.append(pl.col(column).dt.convert_time_zone("UTC").dt.replace_time_zone(None).alias(column))
        elif isinstance(dtype, pl.Duration):
            exprs.append((pl.col(column).dt.total_microseconds() / 1e6).alias(column))
        elif dtype == pl.Time:
            exprs.append((pl.col(column).cast(pl.Int64) / 1e9).alias(column))
    return frame.with_columns(exprs) if exprs else frame


def _harmonise(column: str, rd: pl.DataType, cd: pl.DataType, override: str | None,
               current_values: pl.Series):
    """The kind of a column and the casts (or None) that make both sides comparable."""
    rk, ck = kind_of(rd), kind_of(cd)
    for side, k, d in (("reference", rk, rd), ("current", ck, cd)):
        if k == "unsupported":
            raise SchemaMismatchError(f"{side}: column {column!r} has unsupported type {d}",
                                      column=column, frame=side)
    if override == "categorical":
        return "categorical", _as_text(rd), _as_text(cd)
    if override == "numeric" or (override is None and rk == "numeric"):
        if ck == "numeric" or ck == "boolean":
            same = rd == cd
            return "numeric", None if same else pl.Float64, None if same else pl.Float64
        if ck == "categorical" and _parses_as_numbers(current_values):
            return "numeric", pl.Float64, pl.Float64
        raise _mismatch(column, rd, cd, current_values)
    if override == "boolean" or (override is None and rk == "boolean"):
        if ck == "boolean":
            return "boolean", None, None
        if ck == "numeric":
            return "numeric", pl.Float64, pl.Float64
        raise _mismatch(column, rd, cd)
    if override == "datetime" or (override is None and rk == "datetime"):
        if ck == "datetime":
            return "datetime", pl.Datetime("us"), pl.Datetime("us")
        if ck == "categorical":
            try:
                current_values.cast(pl.String).str.to_datetime(strict=True)
                return "datetime", pl.Datetime("us"), None
            except pl.exceptions.PolarsError:
                pass
        raise _mismatch(column, rd, cd)
    # reference is categorical
    if ck in ("categorical", "boolean", "numeric"):
        return "categorical", _as_text(rd), _as_text(cd)
    raise _mismatch(column, rd, cd)


def _as_text(dtype: pl.DataType):
    """The cast that makes a column comparable as categories: none for text and
    categorical columns (counted on their codes, named after), String for the others."""
    return None if kind_of(dtype) == "categorical" else pl.String


def _type_class(dtype: pl.DataType) -> str:
    kind = kind_of(dtype)
    if kind == "numeric":
        return "float" if dtype.is_float() else "integer"
    return kind


def _breaks(reference: pl.Series, current: pl.Series) -> bool:
    classes = {_type_class(reference.dtype), _type_class(current.dtype)}
    if classes == {"integer", "float"}:
        return False
    if kind_of(reference.dtype) == "categorical" and kind_of(current.dtype) in ("numeric", "boolean"):
        text = current.drop_nulls().cast(pl.String)
        known = reference.drop_nulls().cast(pl.String).unique()
        return text.len() > 0 and float(text.is_in(known.implode()).mean()) < 0.99
    return True


def _parses_as_numbers(values: pl.Series) -> bool:
    parsed = values.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    return parsed.null_count() == values.null_count()


NULL_TOKENS = ("NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "none", "-", "?", ".")


def _mismatch(column: str, rd, cd, current_values: pl.Series | None = None) -> SchemaMismatchError:
    advice = "cast one of them, or set its kind explicitly"
    if current_values is not None and current_values.dtype == pl.String:
        text = current_values.drop_nulls().str.strip_chars()
        tokens = [t for t in NULL_TOKENS if bool((text == t).any())]
        numbers = text.filter(~text.is_in(tokens)).cast(pl.Float64, strict=False)
        if tokens and numbers.null_count() == 0:
            advice = (f"its text is numbers and {', '.join(map(repr, tokens))}: read that as missing "
                      f"(--null-values {','.join(tokens)} on the command line, null_values= in to_frame)")
    return SchemaMismatchError(f"column {column!r} is {rd} in reference but {cd} in current; {advice}",
                               column=column)


def _check_not_empty(frame: pl.DataFrame, name: str) -> None:
    if frame.height == 0:
        raise EmptyDataError(f"{name}: the frame has no rows", frame=name)


def has_no_value(series: pl.Series) -> bool:
    """Whether every value is null (or, for floats, NaN or infinite)."""
    n_valid = series.len() - series.null_count()
    if n_valid and series.dtype.is_float():
        n_valid = int(series.is_finite().sum())
    return n_valid == 0


def _check_not_all_null(series: pl.Series, kind: str) -> None:
    if has_no_value(series):
        raise AllNullError(f"reference: column {series.name!r} has no value (all null, NaN or inf); "
                           "nothing to compare the current data against (leave it out of the features)",
                           column=series.name, frame="reference")


# ------------------------------------------------------------------------ slices

def apply_where(frame: pl.DataFrame, where: Mapping[str, Any] | None, *, name: str) -> pl.DataFrame:
    """Rows of ``frame`` where every column equals its value (a list means any of them; an
    interval "(a, b]" on a numeric column means a < x <= b; "(missing)" means null).

    >>> df = pl.DataFrame({"region": ["n", "s", "n"], "x": [1, 2, 3]})
    >>> apply_where(df, {"region": "n"}, name="current")["x"].to_list()
    [1, 3]
    >>> apply_where(df, {"region": "w"}, name="current")
    Traceback (most recent call last):
    ...
    mlwatch.errors.EmptyDataError: current: no rows where region = 'w'
    """
    if not where:
        return frame
    require_columns(frame, list(where), name=name)
    out = frame.filter(where_condition(frame.schema, where, name=name))
    if out.height == 0:
        described = " and ".join(f"{c} = {v!r}" for c, v in where.items())
        raise EmptyDataError(f"{name}: no rows where {described}", frame=name)
    return out


def where_condition(schema: Mapping[str, pl.DataType], where: Mapping[str, Any], *, name: str) -> pl.Expr:
    """The filter of :func:`apply_where` as an expression (for a lazy scan too)."""
    condition = pl.lit(True)
    for column, value in where.items():
        if column not in schema:
            raise MissingColumnError(f"{name}: no column {column!r}", column=column, frame=name)
        values = list(value) if isinstance(value, (list, tuple, set)) else [value]
        matches = [_matches(schema[column], column, v, name) for v in values]
        condition = condition & pl.any_horizontal(matches)
    return condition


def _matches(dtype: pl.DataType, column: str, value: Any, name: str) -> pl.Expr:
    """The rows of ``column`` that ``value`` names: "(missing)" for nulls, an interval
    "(a, b]" (as slices of numeric columns are labelled) or a number for numeric columns,
    the text otherwise."""
    col = pl.col(column)
    if value is None or value == "(missing)":
        return col.is_null() | (col.is_nan() if dtype.is_float() else pl.lit(False))
    if not dtype.is_numeric():
        return col.cast(pl.String) == str(value)
    text = str(value).strip()
    if text.startswith("(") and text.endswith(("]", ")")) and "," in text:
        lo, hi = (part.strip() for part in text[1:-1].split(",", 1))
        lower = float(lo.replace("+inf", "inf"))
        upper = float(hi.replace("+inf", "inf"))
        above = col > lower
        below = (col <= upper) if text.endswith("]") else (col < upper)
        return above & below
    try:
        return col.cast(pl.Float64) == float(text)     # "3" from a command line matches 3 and 3.0
    except ValueError:
        raise DataError(f"{name}: column {column!r} is numeric; cannot match {value!r}",
                        column=column, frame=name) from None


# ------------------------------------------------------------------------ roles

@dataclass(frozen=True)
class Roles:
    """Which column plays which part."""

    target: str | None = None
    prediction: str | None = None
    time: str | None = None
    segments: tuple[str, ...] = ()
    features: tuple[str, ...] = field(default_factory=tuple)


def infer_roles(frame: pl.DataFrame, *, target: str | None = None, prediction: str | None = None,
                time: str | None = None, segments: Sequence[str] | None = None,
                features: Sequence[str] | None = None,
                max_segment_cardinality: int = MAX_SEGMENT_CARDINALITY, name: str = "reference") -> Roles:
    """Fill in the roles not given.

    Segments default to the low-cardinality (at most ``max_segment_cardinality`` values)
    string, categorical and boolean columns; features to every column but target,
    prediction, time, segments and row identifiers (:func:`looks_like_identifier`).

    >>> df = pl.DataFrame({"y": [0, 1], "p": [0.2, 0.9], "region": ["n", "s"], "x": [1.0, 2.0]})
    >>> infer_roles(df, target="y", prediction="p")
    Roles(target='y', prediction='p', time=None, segments=('region',), features=('x',))
    """
    named = [c for c in (target, prediction, time) if c is not None]
    require_columns(frame, named + list(segments or []) + list(features or []), name=name)
    if segments is None:
        segments = [c for c, d in frame.schema.items()
                    if c not in named and kind_of(d) in ("categorical", "boolean")
                    and frame[c].n_unique() <= max_segment_cardinality]
    if features is None:
        taken = set(named) | set(segments)
        features = [c for c in frame.columns if c not in taken and not looks_like_identifier(frame[c])]
    return Roles(target, prediction, time, tuple(segments), tuple(features))


ID_NAMES = ("id", "uuid", "guid", "key", "index", "rownames", "row_id", "record_id")


def looks_like_identifier(series: pl.Series) -> bool:
    """A row identifier, not a feature: named like one (``id``, ``user_id``, ``uuid``, ...)
    with distinct values, or an integer/text column whose every value is distinct.

    >>> looks_like_identifier(pl.Series("customer_id", [3, 1, 2])), looks_like_identifier(pl.Series("age", [30, 41, 30]))
    (True, False)
    """
    name = series.name.lower()
    named = name in ID_NAMES or name.endswith(("_id", "_uuid", "_key"))
    distinct = series.n_unique() == series.len() and series.len() > 1
    if named:
        return distinct or series.dtype.is_integer() or series.dtype == pl.String
    return distinct and (series.dtype.is_integer() or series.dtype == pl.String) and series.len() >= 100
