"""Step 5, the audit: which features drifted (on the broken slice), and how.

Every feature gets each registered drift test (:mod:`mlwatch.stats.registry`: PSI with
its per-bin contributions, chi-square, Jensen-Shannon, Hellinger, KL and total variation
on the shared bins; KS and normalised Wasserstein on numbers), a noise floor for its
sample sizes, and the data-quality checks.

A feature is ``drifted`` when its change is both *significant* and *material*:

* significant: its p-value (the chi-square on the PSI bins; for numbers the smaller of
  that and the KS p-value, doubled) stays below ``alpha`` after one Benjamini-Hochberg
  correction over every feature's drift test *and* every quality check of the audit;
* material: a change a model feels, measured net of what sampling alone reads (each
  statistic less its expectation under no drift, so a fixed change is not flagged more
  often at small n than at large): PSI >= ``psi_threshold`` (0.1), or the share of rows
  that moved (KS for numbers, total variation for categories) >= ``ks_threshold`` (0.05),
  or, for numbers, a Wasserstein distance >= ``wasserstein_threshold`` (0.1) reference
  standard deviations. PSI alone misses a 0.25 sd mean shift (PSI 0.06, KS 0.1) that any
  model with a threshold on the feature feels.

Significant but immaterial is ``minor``: big samples see everything. A quality check
``failed`` when its change is material and significant in the same family.

Each feature is sorted once; PSI bins, KS, Wasserstein, ranges and modes all come from
the sorted arrays, one feature per thread (numpy's sort releases the GIL).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

from mlwatch import data, sources
from mlwatch.baseline import Baseline, ColumnSummary, is_dataset, load_reference, summarise_batches, summary_kind
from mlwatch.baseline import scan as scan_source
from mlwatch.errors import DataError, MissingColumnError, SchemaMismatchError, check_choice, check_number
from mlwatch.results import Result, Section, frame_from_records, options_from, plain, records
from mlwatch.stats import noise, quality
from mlwatch.stats.binning import Bins, bins_from_category_counts, numeric_bins
from mlwatch.stats.drift import FeatureSummary
from mlwatch.stats.registry import registered_for
from mlwatch.stats.tally import Tally

SCHEMA = "mlwatch.audit/1"
SEVERITIES = ("none", "minor", "moderate", "major")

TABLE_SCHEMA = {
    "feature": pl.String, "kind": pl.String, "n_reference": pl.Int64, "n_current": pl.Int64,
    "psi": pl.Float64, "ks": pl.Float64, "ks_p_value": pl.Float64, "js": pl.Float64,
    "wasserstein": pl.Float64, "chi2": pl.Float64, "hellinger": pl.Float64,
    "p_value": pl.Float64, "p_value_adjusted": pl.Float64, "noise_floor": pl.Float64,
    "drifted": pl.Boolean, "severity": pl.String, "top_bin": pl.String,
    "kl": pl.Float64, "tv": pl.Float64, "chi2_p_value": pl.Float64, "psi_expected": pl.Float64,
    "significant": pl.Boolean, "material": pl.Boolean, "material_by": pl.String,
}
BINS_SCHEMA = {
    "feature": pl.String, "bin": pl.String, "lower": pl.Float64, "upper": pl.Float64,
    "reference_count": pl.Int64, "current_count": pl.Int64, "reference_share": pl.Float64,
    "current_share": pl.Float64, "contribution": pl.Float64,
}
QUANTILES_SCHEMA = {"feature": pl.String, "window": pl.String, "p": pl.Float64, "value": pl.Float64}
#: the probabilities at which each numeric feature's finite values are kept, both windows: the
#: raw distribution the key evidence figure draws, extremes included (an open outer bin
#: would hide a unit change's values; its minimum and maximum do not)
QUANTILE_GRID = np.linspace(0.0, 1.0, 101)
SCAN_ROWS = 20_000_000        # rows of a parquet source or lazy frame beyond which the audit scans it
THREADED_ROWS = 200_000      # rows in both windows from which the columns are audited on threads
QUALITY_SCHEMA = {
    "feature": pl.String, "check": pl.String, "reference": pl.Float64, "current": pl.Float64,
    "failed": pl.Boolean, "detail": pl.String, "p_value": pl.Float64, "p_value_adjusted": pl.Float64,
    "material": pl.Boolean,
}


@dataclass(frozen=True)
class AuditOptions:
    """The audit's statistical choices in one object (each is a keyword of :func:`audit`,
    documented there): ``audit(ref, cur, options=AuditOptions(bins=20, alpha=0.01))``."""

    bins: int = 10
    psi_threshold: float = 0.1
    major_threshold: float = 0.25
    alpha: float = 0.05
    smoothing: float = 0.5
    where: dict[str, Any] | None = None
    ks_threshold: float = 0.05
    wasserstein_threshold: float = 0.1


@dataclass(frozen=True, eq=False, repr=False)
class AuditResult(Result):
    """The step-5 audit: one row a feature in ``table``, the PSI bins with their
    contributions in ``bins``, the data-quality checks in ``quality``; ``options`` the
    :class:`AuditOptions` it ran with, as a dict; ``quantiles`` each numeric feature's
    finite values at :data:`QUANTILE_GRID` in both windows (the raw distributions)."""

    SCHEMA = SCHEMA

    table: pl.DataFrame
    bins: pl.DataFrame
    quality: pl.DataFrame
    n_reference: int
    n_current: int
    options: dict[str, Any] = field(default_factory=lambda: plain(AuditOptions()))
    quantiles: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=QUANTILES_SCHEMA))

    # ---- reading
    @property
    def drifted(self) -> list[str]:
        """Features whose drift is material and significant, most drifted first."""
        return self.table.filter(pl.col("drifted"))["feature"].to_list()

    @property
    def significant(self) -> list[str]:
        """Features whose change is significant, material or not (``minor`` included)."""
        return self.table.filter(pl.col("significant"))["feature"].to_list()

    @property
    def failed_checks(self) -> pl.DataFrame:
        """The quality checks that failed."""
        return self.quality.filter(pl.col("failed"))

    @property
    def significant_checks(self) -> pl.DataFrame:
        """The quality checks rejected after Benjamini-Hochberg, material or not: a small
        pile on a clip's bound fails no materiality rule yet says where to look."""
        return self.quality.filter(pl.col("p_value_adjusted") < self.options["alpha"])

    def feature_bins(self, feature: str) -> pl.DataFrame:
        """The PSI bins of one feature, with shares and contributions."""
        if feature not in self.table["feature"].to_list():
            raise MissingColumnError(f"audit: no feature {feature!r} (features: "
                                     f"{', '.join(self.table['feature'].to_list())})", column=feature)
        return self.bins.filter(pl.col("feature") == feature)

    def only(self, features: Sequence[str]) -> "AuditResult":
        """A new result restricted to ``features``."""
        keep = pl.col("feature").is_in(list(features))
        return AuditResult(self.table.filter(keep), self.bins.filter(keep), self.quality.filter(keep),
                           self.n_reference, self.n_current, self.options, self.quantiles.filter(keep))

    # ---- presenting
    @property
    def sentence(self) -> str:
        """What drifted and which checks failed, in one sentence."""
        where = self.options.get("where")
        scope = (" where " + " and ".join(f"{k} = {v}" for k, v in where.items())) if where else ""
        drifted = self.drifted
        failed = self.failed_checks
        head = (f"Audit of {self.table.height} features{scope} "
                f"({self.n_reference:,} reference rows, {self.n_current:,} current rows): "
                + (f"{len(drifted)} drifted ({', '.join(drifted[:5])}{', ...' if len(drifted) > 5 else ''})"
                   if drifted else "no feature drifted beyond noise")
                + (f"; {failed.height} data-quality checks failed." if failed.height else "; data quality checks pass."))
        return head

    def _sections(self):
        shown = self.table.select("feature", "kind", "psi", "noise_floor", "ks", "js", "wasserstein",
                                  "p_value_adjusted", "severity", "top_bin", "drifted")
        return (Section(frame=shown, alert="drifted"),
                Section("Failed data-quality checks", self.failed_checks.select("feature", "check", "detail")))

    def plot(self, ax=None, *, feature: str | None = None, kind: str | None = None, **kws):
        """Without ``feature``: PSI per feature with the material and major bands. With
        ``feature``: ``kind="distribution"`` (the default for numeric features) its raw
        distribution in both windows, the key evidence of a unit change, flood or clip;
        ``kind="bins"`` (the default for categories) its shares per PSI bin, the bins
        carrying the drift highlighted."""
        from mlwatch.plots.audit import plot_audit, plot_distribution, plot_feature_bins

        if feature is None:
            return plot_audit(self, ax=ax, **kws)
        self.feature_bins(feature)          # an unknown feature fails here, naming the known ones
        numeric = self.quantiles.filter(pl.col("feature") == feature).height > 0
        kind = check_choice("plot kind", kind or ("distribution" if numeric else "bins"), ("distribution", "bins"))
        return (plot_distribution if kind == "distribution" else plot_feature_bins)(self, feature, ax=ax, **kws)

    # ---- serialising
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; :meth:`from_dict` rebuilds the same result."""
        return {"schema": SCHEMA, "n_reference": self.n_reference, "n_current": self.n_current,
                "options": plain(self.options), "features": records(self.table),
                "bins": records(self.bins), "quality": records(self.quality),
                "quantiles": records(self.quantiles)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "AuditResult":
        cls._check_schema(payload)
        return cls(frame_from_records(payload["features"], TABLE_SCHEMA),
                   frame_from_records(payload["bins"], BINS_SCHEMA),
                   frame_from_records(payload["quality"], QUALITY_SCHEMA),
                   int(payload["n_reference"]), int(payload["n_current"]),
                   dict(payload["options"]), frame_from_records(payload.get("quantiles", []), QUANTILES_SCHEMA))


# ------------------------------------------------------------------- the step

def audit(reference, current, *, features: Sequence[str] | None = None,
          where: Mapping[str, Any] | None = None, kinds: Mapping[str, str] | None = None,
          exclude: Sequence[str] = (), bins: int = 10, psi_threshold: float = 0.1,
          major_threshold: float = 0.25, alpha: float = 0.05, smoothing: float = 0.5,
          ks_threshold: float = 0.05, wasserstein_threshold: float = 0.1,
          missing_columns: str = "auto", n_threads: int | None = None,
          options: AuditOptions | None = None, scan: bool | None = None,
          progress: bool | None = None) -> AuditResult:
    """Audit every feature of ``current`` against ``reference``, optionally on a slice.

    Parameters
    ----------
    reference, current
        polars or pandas frames, pyarrow tables, or parquet/CSV paths; ``reference`` may also
        be a saved :class:`~mlwatch.Baseline` (or the path of its ``.mlwatch`` file), which
        gives the same binned statistics and checks as its frame (see :mod:`mlwatch.baseline`);
        a slice (``where``) of a baseline is audited against the reference rows it kept
        (``sample_rows``). Either side may be a parquet folder or glob, a lazy frame, a Spark
        DataFrame or a query (:func:`mlwatch.sql`): summarised where its rows are.
    features
        Columns to audit; default every reference column not in ``exclude``.
    where
        A slice, ``{"region": "north"}`` (a list value means any of those values).
    kinds
        Kind overrides, e.g. ``{"zip_code": "categorical"}``.
    bins
        Number of reference-quantile bins for numeric features.
    psi_threshold, major_threshold
        PSI, less its expectation under no drift, above which drift is material
        (``moderate``), and ``major``.
    ks_threshold, wasserstein_threshold
        The other ways a change is material: the share of rows that moved (KS, or total
        variation for categories) and the Wasserstein distance in reference standard
        deviations, each less its expectation under no drift.
    alpha
        False discovery rate across the features' drift tests and quality checks
        (Benjamini-Hochberg).
    smoothing
        Observations an empty bin counts as in PSI.
    missing_columns
        What a feature of the reference that current lacks is: ``"report"`` a failed
        ``column_missing`` check (a column lost upstream is an incident), ``"raise"`` a
        :class:`~mlwatch.errors.MissingColumnError`; ``"auto"`` reports when ``features``
        was left to default and raises when it was named.
    options
        An :class:`AuditOptions` holding the statistical choices above at once (a keyword
        given as well must agree with it).
    scan
        Read parquet datasets (a file, a folder, a glob, hive partitions) and lazy frames batch
        by batch into summaries, never holding their rows (:mod:`mlwatch.baseline`): the PSI
        bins' counts stay exact, KS and Wasserstein within the tallies' stated bounds. The
        default (None) scans a source of more than :data:`SCAN_ROWS` rows and reads smaller
        ones into memory.
    progress
        A progress bar for scans (None: when a terminal or a notebook shows it).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ref = pl.DataFrame({"amount": rng.lognormal(3, 1, 5000), "region": rng.choice(["n", "s"], 5000)})
    >>> cur = pl.DataFrame({"amount": rng.lognormal(3, 1, 5000) * 100, "region": rng.choice(["n", "s"], 5000)})
    >>> result = audit(ref, cur)
    >>> result.drifted
    ['amount']
    >>> result.table.select("feature", "severity").rows()
    [('amount', 'major'), ('region', 'none')]
    """
    options = options_from(AuditOptions, options, bins=bins, psi_threshold=psi_threshold,
                           major_threshold=major_threshold, alpha=alpha, smoothing=smoothing,
                           where=dict(where) if where else None, ks_threshold=ks_threshold,
                           wasserstein_threshold=wasserstein_threshold)
    bins, psi_threshold, major_threshold, alpha, smoothing = (options.bins, options.psi_threshold,
                                                             options.major_threshold, options.alpha, options.smoothing)
    ks_threshold, wasserstein_threshold = options.ks_threshold, options.wasserstein_threshold
    where = options.where
    check_choice("missing_columns", missing_columns, ("auto", "report", "raise"))
    check_number("bins", bins, low=2, high=1000, integer=True)
    for name, value in (("psi_threshold", psi_threshold), ("major_threshold", major_threshold),
                        ("ks_threshold", ks_threshold), ("wasserstein_threshold", wasserstein_threshold)):
        check_number(name, value, low=0)
    check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    check_number("smoothing", smoothing, low=0, low_open=True)
    reference = load_reference(reference)
    if isinstance(reference, Baseline) and where:
        if reference.sample is None:
            raise DataError("audit: a Baseline holds the whole reference window, not its slices; audit a slice "
                            "against the reference frame, or keep reference rows in the baseline "
                            "(Baseline.from_frame(..., sample_rows=100_000))", frame="reference")
        reference = reference.sample         # a slice's reference side: the rows the baseline kept
    if scan is not False and (scan or _large(reference, "reference") or _large(current, "current")):
        return _audit_scans(reference, current, features=features, exclude=exclude, kinds=kinds,
                            missing_columns=missing_columns, options=options, progress=progress)
    if isinstance(reference, Baseline):
        return _audit_baseline(reference, current, features=features, exclude=exclude, kinds=kinds,
                               missing_columns=missing_columns, options=options, n_threads=n_threads)
    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    features, missing_columns = _chosen(features, ref.columns, exclude, missing_columns)
    vanished: tuple[str, ...] = ()
    if missing_columns == "report":
        data.require_columns(ref, features, name="reference")
        cur, vanished = data.fill_missing_columns(ref, cur, features)
    ref = data.apply_where(ref, where, name="reference")
    cur = data.apply_where(cur, where, name="current")
    ref, cur, schema = data.align(ref, cur, features, kinds=kinds)

    def one(feature: str) -> _FeatureAudit:
        kind = summary_kind(schema.kinds[feature])
        a = ColumnSummary.from_series(ref[feature], kind, bins=None, keep_sorted=True)
        b = ColumnSummary.from_series(cur[feature], kind, bins=None, keep_sorted=True)
        return _audit_feature(feature, a, b, schema, options, feature in vanished)

    return _assemble(_map(one, features, ref.height + cur.height, n_threads), ref.height, cur.height, options)


def _scannable(source) -> bool:
    if isinstance(source, pl.LazyFrame) or sources.is_source(source):
        return True
    if not isinstance(source, (str, os.PathLike)):
        return False
    return is_dataset(source) or str(source).endswith((".parquet", ".pq"))


def _large(source, name: str) -> bool:
    """A parquet source or lazy frame of more than :data:`SCAN_ROWS` rows (counted from the
    files' metadata, no row read)."""
    if sources.is_spark(source):
        return True                      # summarised on the executors, whatever its size
    if isinstance(source, sources.SQL):
        return source.count(name) > SCAN_ROWS
    if not _scannable(source):
        return False
    try:
        return scan_source(source).select(pl.len()).collect().item() > SCAN_ROWS
    except (DataError, pl.exceptions.PolarsError, OSError):
        return False         # read in memory, where the failure is reported naming its side


def _audit_scans(reference, current, *, features, exclude, kinds, missing_columns: str, options: AuditOptions,
                 progress: bool | None) -> AuditResult:
    """The audit of two windows larger than memory: each is summarised batch by batch (the
    current one in the reference's PSI bins), then compared summary to summary."""
    base = reference if isinstance(reference, Baseline) else \
        _summarised(reference, "reference", features=features, exclude=exclude, kinds=kinds, bins=options.bins,
                    where=options.where, progress=progress)
    features, missing_columns = _chosen(features, base.columns, exclude, missing_columns)
    present = _columns(current)
    vanished = tuple(f for f in features if f not in present)
    if vanished and missing_columns == "raise":
        raise MissingColumnError(f"current: no column {vanished[0]!r}", column=vanished[0], frame="current")
    kept = [f for f in features if f in present]
    summary = _summarised(current, "current", features=kept,
                          kinds={f: kinds.get(f, base[f].kind) if kinds else base[f].kind for f in kept},
                          bins=None, edges={f: base[f].edges for f in kept if base[f].edges is not None},
                          where=options.where, progress=progress)
    n_current = summary.n_rows
    schema = data.Schema({f: base[f].kind for f in features}, {f: base[f].dtype for f in features},
                         {f: summary[f].dtype if f in summary else "Null" for f in features}, {})

    def one(feature: str) -> _FeatureAudit:
        a = base[feature]
        if feature in vanished:
            b = ColumnSummary(feature, a.kind, "Null", n_current, n_current, tally=Tally(np.zeros(0), np.zeros(0, np.int64)),
                              categories={} if a.kind == "categorical" else None,
                              edges=a.edges, bin_counts=None if a.edges is None else np.zeros(a.edges.size + 1, np.int64))
        else:
            b = summary[feature]
        return _audit_feature(feature, _reference_side(base, feature, b.kind, options), b, schema, options,
                              feature in vanished)

    return _assemble([one(f) for f in features], base.n_rows, n_current, options)


def _summarised(source, name: str, *, where, progress, **options) -> Baseline:
    """One window's summary wherever its rows are: Spark or SQL where they live, a parquet
    source or lazy frame batch by batch, a frame in memory through its lazy form."""
    if sources.is_source(source):
        return sources.summarise(source, where=where, progress=progress, name=name, **options)
    lazy = scan_source(source) if _scannable(source) else data.to_frame(source, name=name).lazy()
    return summarise_batches(_filtered(lazy, where, name), progress=progress, name=name, **options)


def _columns(source) -> Sequence[str]:
    """The columns of a window not yet read."""
    if sources.is_spark(source):
        return sources.spark_schema(source).names()
    if isinstance(source, sources.SQL):
        return source.schema("current").names()
    if _scannable(source):
        return scan_source(source).collect_schema().names()
    return data.to_frame(source, name="current").columns


def _reference_side(baseline: Baseline, feature: str, kind: str, options: AuditOptions) -> ColumnSummary:
    """A summarised reference column, checked against how current reads it and cut in the
    audit's number of bins."""
    a = baseline[feature]
    if kind != a.kind:
        raise SchemaMismatchError(f"column {feature!r} is {a.kind} in the reference and read as {kind} in current "
                                  "(give the same kinds= as when the reference was summarised)", column=feature)
    return a.cut(options.bins) if kind == "numeric" and options.bins != baseline.bins else a


def _filtered(lazy: pl.LazyFrame, where, name: str) -> pl.LazyFrame:
    return lazy.filter(data.where_condition(lazy.collect_schema(), where, name=name)) if where else lazy


def _chosen(features, columns: Sequence[str], exclude: Sequence[str], missing_columns: str) -> tuple[list[str], str]:
    """The features to audit (every reference column not excluded, by default) and what a
    missing one is: ``"auto"`` reports a defaulted feature lost upstream, raises for a named one."""
    if missing_columns == "auto":
        missing_columns = "report" if features is None else "raise"
    if features is None:
        features = [c for c in columns if c not in set(exclude)]
    return list(dict.fromkeys(features)), missing_columns


def _map(one, features: list[str], rows: int, n_threads: int | None) -> list:
    # a column's work holds the GIL for many small numpy calls: threads pay only where the
    # sorting is long (measured: 3,000 columns of 2,000 rows, 2 threads 1.5 times slower than 1)
    parallel = rows >= THREADED_ROWS
    workers = n_threads or (min(len(features), os.cpu_count() or 1) if parallel else 1) or 1
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, features))
    return [one(f) for f in features]


def _audit_baseline(baseline: Baseline, current, *, features, exclude, kinds, missing_columns: str,
                    options: AuditOptions, n_threads: int | None) -> AuditResult:
    """The audit against a saved reference: the current rows are summarised in memory as
    the frame path does, the reference's summaries are read from the baseline."""
    cur = data.to_frame(current, name="current")
    features, missing_columns = _chosen(features, baseline.columns, exclude, missing_columns)
    for f in features:
        baseline[f]                                     # an unknown column fails here, naming the known ones
    stand_in = baseline.stand_in(features)
    vanished: tuple[str, ...] = ()
    if missing_columns == "report":
        cur, vanished = data.fill_missing_columns(stand_in, cur, features)
    _, cur, schema = data.align(stand_in, cur, features, kinds=kinds)
    schema = data.Schema(schema.kinds, {f: baseline[f].dtype for f in features}, schema.current_dtypes, schema.changed)

    def one(feature: str) -> _FeatureAudit:
        kind = summary_kind(schema.kinds[feature])
        a = _reference_side(baseline, feature, kind, options)
        b = ColumnSummary.from_series(cur[feature], kind, bins=None, keep_sorted=True)
        return _audit_feature(feature, a, b, schema, options, feature in vanished)

    return _assemble(_map(one, features, cur.height, n_threads), baseline.n_rows, cur.height, options)


@dataclass
class _FeatureAudit:
    row: dict[str, Any]
    bins: list[dict[str, Any]]
    checks: list[quality.QualityCheck]
    quantiles: dict[str, np.ndarray]          # window -> values at QUANTILE_GRID (numeric features)


def _audit_feature(name: str, a: ColumnSummary, b: ColumnSummary, schema: data.Schema,
                   options: AuditOptions, vanished: bool = False) -> _FeatureAudit:
    kind = schema.kinds[name]
    checks = [quality.column_missing(name, b.n) if vanished else
              quality.null_rate(name, a.n_null, a.n, b.n_null, b.n, alpha=options.alpha)]
    if schema.type_changed(name):
        checks.append(quality.type_change(name, schema.reference_dtypes[name], schema.current_dtypes[name],
                                          breaks=schema.type_change_breaks(name)))
    row: dict[str, Any] = {"feature": name, "kind": kind, "n_reference": a.n, "n_current": b.n}
    if a.kind == "numeric":
        summary = _numeric(name, a, b, checks, options)
    else:
        summary = _categorical(name, a, b, checks, options)
    b_ = summary.bins
    statistics = {}
    if b_.n_reference and b_.n_current:
        for test in registered_for(summary.kind):
            if summary.kind == "numeric" and not summary.sorted_current.size and test.name in ("ks", "wasserstein"):
                continue
            options_for = {"smoothing": options.smoothing} if test.name in ("psi", "kl") else {}
            statistics[test.name] = result = test.kernel(summary, **options_for)
            row[test.name] = result.value
            if test.p_column:
                row[test.p_column] = result.p_value
    psi_stat = statistics.get("psi")
    contributions = psi_stat.contributions if psi_stat is not None else np.zeros(len(b_.labels))
    p_values = [row.get("chi2_p_value", 1.0)] + ([row["ks_p_value"]] if row.get("ks_p_value") is not None else [])
    row.update(p_value=min(1.0, len(p_values) * min(p_values)),       # Bonferroni over the two tests
               noise_floor=psi_stat.noise_floor if psi_stat is not None else None,
               psi_expected=psi_stat.expected if psi_stat is not None else None,
               top_bin=b_.labels[int(np.argmax(contributions))])
    row["material_by"] = _material_by(statistics, options)
    row["material"] = row["material_by"] is not None
    ref_share = b_.reference / max(b_.n_reference, 1)
    cur_share = b_.current / max(b_.n_current, 1)
    bin_rows = [{"feature": name, "bin": label, "lower": float(lo), "upper": float(hi),
                 "reference_count": int(rc), "current_count": int(cc), "reference_share": float(rs),
                 "current_share": float(cs), "contribution": float(ct)}
                for label, lo, hi, rc, cc, rs, cs, ct in zip(b_.labels, b_.lower, b_.upper, b_.reference,
                                                               b_.current, ref_share, cur_share, contributions)]
    quantiles = {}
    if kind == "numeric" and summary.sorted_reference is not None:
        quantiles = {window: _quantiles(values, QUANTILE_GRID)
                     for window, values in (("reference", summary.sorted_reference), ("current", summary.sorted_current))
                     if values.size}
    return _FeatureAudit(row, bin_rows, checks, quantiles)


def _quantiles(values, probabilities: np.ndarray) -> np.ndarray:
    return values.quantile(probabilities) if isinstance(values, Tally) else _sorted_quantiles(values, probabilities)


def _sorted_quantiles(values: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Quantiles of already sorted ``values`` (numpy's linear rule, without a second sort)."""
    position = probabilities * (values.size - 1)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, values.size - 1)
    a, b = values[lo], values[hi]
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(a == b, a, a + (position - lo) * (b - a))


def _material_by(statistics: dict, options: AuditOptions) -> str | None:
    """The first measure by which the change is material (net of its expectation under no
    drift), or None."""
    thresholds = (("psi", options.psi_threshold), ("ks", options.ks_threshold), ("tv", options.ks_threshold),
                  ("wasserstein", options.wasserstein_threshold))
    numeric = "ks" in statistics
    for name, threshold in thresholds:
        if name == "tv" and numeric:
            continue           # numbers: the share of rows that moved is KS's (TV on bins is coarser)
        stat = statistics.get(name)
        if stat is not None and np.isfinite(stat.value) and stat.excess >= threshold:
            return name
    stat = statistics.get("wasserstein")
    if stat is not None and not np.isfinite(stat.value):
        return "wasserstein"
    return None


def _numeric(name: str, a: ColumnSummary, b: ColumnSummary, checks: list, options: AuditOptions) -> FeatureSummary:
    if a.n_nan + a.n_inf + b.n_nan + b.n_inf:
        checks.append(quality.non_finite(name, (a.n_nan, a.n_inf), a.n, (b.n_nan, b.n_inf), b.n, alpha=options.alpha))
    ta, tb = a.tally, b.tally
    if a.edges is not None and a.bin_counts is not None:
        b_ = numeric_bins(np.zeros(0), np.zeros(0), edges=a.edges)
        counted = b.edges is not None and b.bin_counts is not None and np.array_equal(b.edges, a.edges)
        current_counts = b.bin_counts if counted else tb.counts_in_bins(a.edges)    # a scan counted them exactly
        b_ = Bins(b_.labels, np.append(a.bin_counts, a.n_missing).astype(np.int64),
                  np.append(current_counts, b.n_missing).astype(np.int64), b_.lower, b_.upper)
    else:
        b_ = numeric_bins(a.finite, b.finite, n_missing_reference=a.n_missing, n_missing_current=b.n_missing,
                          bins=options.bins)
    if tb.n:
        # values near 1e308 overflow the fences and the grid's quotients into inf, which the
        # checks read as outside and off every grid: the right reading, without the warnings
        with np.errstate(over="ignore", invalid="ignore"):
            checks.append(quality.out_of_range(name, ta, tb, alpha=options.alpha))
            checks.append(quality.value_spike(name, ta, tb, alpha=options.alpha))
            checks.append(quality.off_grid(name, ta, tb, alpha=options.alpha, reference_grid=a.grid))
        n_distinct_cur = tb.distinct
        checks.append(quality.constant(name, a.distinct, n_distinct_cur, tb.n,
                                       f"{tb.minimum:.6g}" if n_distinct_cur == 1 else None,
                                       reference_mode_share=ta.mode()[1] / ta.n if ta.n else None,
                                       alpha=options.alpha))
    return FeatureSummary("numeric", b_, a.finite, b.finite)


def _categorical(name: str, a: ColumnSummary, b: ColumnSummary, checks: list, options: AuditOptions) -> FeatureSummary:
    ref_map, cur_map = a.categories, b.categories
    b_ = bins_from_category_counts(ref_map, cur_map, a.n_null, b.n_null)
    if cur_map:
        checks.append(quality.new_categories(name, ref_map, cur_map, alpha=options.alpha))
        checks.append(quality.missing_categories(name, ref_map, cur_map, alpha=options.alpha))
        checks.append(quality.category_spike(name, ref_map, cur_map, alpha=options.alpha))
        only = next(iter(cur_map)) if len(cur_map) == 1 else None
        top_share = max(ref_map.values()) / sum(ref_map.values()) if ref_map else 1.0
        checks.append(quality.constant(name, len(ref_map), len(cur_map), sum(cur_map.values()), only,
                                       reference_mode_share=top_share, alpha=options.alpha))
    return FeatureSummary("categorical", b_)


def _assemble(parts: list[_FeatureAudit], n_reference: int, n_current: int,
              options: AuditOptions) -> AuditResult:
    rows = [p.row for p in parts]
    checks = [c for p in parts for c in p.checks]
    # one family: every feature's drift test and every quality check
    adjusted = noise.benjamini_hochberg([r["p_value"] for r in rows] + [c.p_value for c in checks])
    for r, p_adj in zip(rows, adjusted[:len(rows)]):
        significant = bool(p_adj < options.alpha)
        r["p_value_adjusted"] = float(p_adj)
        r["significant"] = significant
        r["drifted"] = bool(significant and r["material"])
        excess = (r["psi"] - r["psi_expected"]) if r.get("psi_expected") is not None else 0.0
        r["severity"] = ("major" if excess >= options.major_threshold else "moderate") if r["drifted"] \
            else ("minor" if significant else "none")
    table = pl.DataFrame([{k: r.get(k) for k in TABLE_SCHEMA} for r in rows], schema=TABLE_SCHEMA)
    table = table.sort(["drifted", "significant", "psi"], descending=[True, True, True], maintain_order=True)
    bins = pl.DataFrame([b for p in parts for b in p.bins], schema=BINS_SCHEMA)
    records_ = [{**vars(c), "p_value_adjusted": float(p_adj), "failed": bool(c.material and p_adj < options.alpha)}
                for c, p_adj in zip(checks, adjusted[len(rows):])]
    quality_table = frame_from_records(records_, QUALITY_SCHEMA) if records_ else pl.DataFrame(schema=QUALITY_SCHEMA)
    kept = [(p.row["feature"], window, values) for p in parts for window, values in p.quantiles.items()]
    grid = QUANTILE_GRID.size
    quantiles = pl.DataFrame({
        "feature": np.repeat([f for f, _, _ in kept], grid).astype(str) if kept else [],
        "window": np.repeat([w for _, w, _ in kept], grid).astype(str) if kept else [],
        "p": np.tile(QUANTILE_GRID, len(kept)),
        "value": np.concatenate([v for _, _, v in kept]) if kept else np.zeros(0)}, schema=QUANTILES_SCHEMA)
    return AuditResult(table, bins, quality_table, n_reference, n_current, plain(options), quantiles)
