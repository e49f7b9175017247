"""The command line: a thin layer over the same functions a notebook calls.

Exit status 0 on success (whether or not drift is found), 2 on bad input with a
one-line error on stderr naming the file and the column.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from mlwatch.errors import DataError, MlwatchError


def _columns(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [c.strip() for c in text.split(",") if c.strip()]


def _where(pairs: list[str] | None) -> dict[str, list[str]] | None:
    if not pairs:
        return None
    where: dict[str, list[str]] = {}
    for pair in pairs:
        column, sep, value = pair.partition("=")
        if not sep or not column:
            raise MlwatchError(f"--where takes COLUMN=VALUE, got {pair!r}")
        where.setdefault(column.strip(), []).append(value.strip())
    return where


def _since(pair: str | None) -> tuple[str, str] | None:
    """``--since TIME_COLUMN=START`` as ``(column, start)``."""
    if not pair:
        return None
    column, sep, start = pair.partition("=")
    if not sep or not column.strip() or not start.strip():
        raise MlwatchError(f"--since takes TIME_COLUMN=START, got {pair!r}")
    return column.strip(), start.strip()


def _targeted(pairs: list[str] | None) -> dict[str, str] | None:
    """``--targeted COLUMN=VALUE`` (repeated) as a slice: one value a column."""
    where = _where(pairs)
    if where is None:
        return None
    many = {c: v for c, v in where.items() if len(v) > 1}
    if many:
        raise MlwatchError(f"--targeted names one slice, one value a column; got {many}")
    return {c: v[0] for c, v in where.items()}


def _checked(**bounds):
    """An argparse type over :func:`mlwatch.errors.check_number`, the library's own check of
    the same option (one rule, one message, at the door of both)."""
    from mlwatch.errors import check_number

    integer = bounds.get("integer", False)

    def parse(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {'whole ' if integer else ''}number: {text!r}") from None
        try:
            return check_number("it", value, **bounds)
        except MlwatchError as err:
            raise argparse.ArgumentTypeError(str(err).removeprefix("it ")) from None
    return parse


_probability = _checked(low=0, high=1, low_open=True, high_open=True)
_non_negative = _checked(low=0)
_unit_interval = _checked(low=0, high=1)
_bins = _checked(low=2, high=1000, integer=True)
_positive_int = _checked(low=1, integer=True)
_non_negative_int = _checked(low=0, integer=True)


def _check_outputs(args) -> None:
    """Before any work: every output path can be written (the flag, not the suffix, decides
    the format, so ``--html report`` writes HTML to ``report``)."""
    from mlwatch.report.html import check_writable

    for flag in ("json", "html", "markdown"):
        path = getattr(args, flag, None)
        if path is not None:
            check_writable(path)


def _progress(message: str) -> None:
    print(f"[mlwatch] {message}", file=sys.stderr, flush=True)


def _write_outputs(args, result, title: str) -> None:
    from mlwatch.report.html import audit_report, write_text

    if args.json:
        write_text(args.json, json.dumps(result.to_dict(), indent=2) + "\n")
        _progress(f"wrote {args.json}")
    if args.markdown:
        write_text(args.markdown, f"# {title}\n\n" + result.summary("markdown") + "\n")
        _progress(f"wrote {args.markdown}")
    if args.html:
        write_text(args.html, audit_report(result, title=title))
        _progress(f"wrote {args.html}")


def _source(args, side: str):
    """A side as given: a path, or a query when it is a database URI (``--query``, or
    ``--reference-query``/``--current-query`` when each side has its own)."""
    from mlwatch.sources import SQL, SQL_SCHEMES

    text = getattr(args, side)
    if not str(text).startswith(SQL_SCHEMES):
        return text
    query = getattr(args, f"{side}_query", None) or getattr(args, "query", None)
    if not query:
        raise DataError(f"{side}: a database: give the rows with --query "
                        f"(or --{side}-query) \"SELECT ...\"")
    return SQL(text, query)


def _read_pair(args):
    """The reference and current files or queries, errors naming the file."""
    from mlwatch.data import to_frame

    sides = _source(args, "reference"), _source(args, "current")
    _progress(f"reading {sides[0]} and {sides[1]}")
    nulls = _columns(getattr(args, "null_values", None))
    reference = to_frame(sides[0], name=f"reference ({sides[0]})", null_values=nulls)
    current = to_frame(sides[1], name=f"current ({sides[1]})", null_values=nulls)
    _progress(f"{reference.height:,} reference and {current.height:,} current rows")
    return reference, current


def _summarised(source) -> bool:
    """A saved baseline, a folder, a glob or a query: read by the audit itself (summaries, not rows)."""
    from mlwatch.baseline import is_dataset
    from mlwatch.sources import SQL

    return isinstance(source, SQL) or str(source).endswith(".mlwatch") or is_dataset(source)


def cmd_audit(args) -> int:
    from mlwatch.steps.audit import audit

    started = time.perf_counter()
    _check_outputs(args)
    reference, current = _source(args, "reference"), _source(args, "current")
    if _summarised(reference) or _summarised(current):
        _progress(f"summarising {reference} and {current}")
    else:
        reference, current = _read_pair(args)
    result = audit(reference, current, features=_columns(args.features), exclude=_columns(args.exclude) or (),
                   where=_where(args.where), bins=args.bins, psi_threshold=args.psi_threshold, alpha=args.alpha,
                   progress=False if args.quiet else None)
    print(result.summary("text"))
    _write_outputs(args, result, f"Audit of {Path(args.current).name} against {Path(args.reference).name}")
    _progress(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_baseline(args) -> int:
    from mlwatch.baseline import Baseline, is_dataset

    started = time.perf_counter()
    source = _source(args, "reference")
    features, exclude = _columns(args.features), _columns(args.exclude) or ()
    if not isinstance(source, str):
        _progress(f"summarising {source}")
        base = Baseline.from_sql(source.uri, source.query, features=features, exclude=exclude, bins=args.bins,
                                 progress=False if args.quiet else None, sample_rows=args.sample_rows)
    elif is_dataset(source):
        _progress(f"scanning {source}")
        base = Baseline.from_parquet(source, features=features, exclude=exclude, bins=args.bins,
                                     progress=False if args.quiet else None, sample_rows=args.sample_rows)
    else:
        _progress(f"reading {source}")
        base = Baseline.from_frame(source, features=features, exclude=exclude, bins=args.bins,
                                   sample_rows=args.sample_rows)
    path = base.save(args.out)
    print(f"{base!r} -> {path} ({path.stat().st_size / 1024:,.0f} kB)")
    _progress(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_investigate(args) -> int:
    import polars as pl

    from mlwatch.data import require_columns, to_frame
    from mlwatch.report.html import write_text
    from mlwatch.incident import investigate

    started = time.perf_counter()
    _check_outputs(args)
    sides = _source(args, "reference"), _source(args, "current")
    if any(_summarised(side) for side in sides):       # a folder, a glob or a query: read (or sampled) there
        reference, current = sides
    else:
        reference, current = _read_pair(args)
    events = to_frame(args.events, name=f"events ({args.events})") if args.events else None
    if events is not None and args.event_column:
        require_columns(events, [args.event_column], name=f"events ({args.events})")
        events = events.select(pl.exclude("description")).rename({args.event_column: "description"})
    model = None
    if args.model:
        from mlwatch.models import load_model

        model = load_model(args.model, trust=args.trust_model)
    findings = investigate(reference, current, target=args.target, prediction=args.prediction, time=args.time,
                           segments=_columns(args.segments), features=_columns(args.features), task=args.task,
                           metric=args.metric, kpi=args.kpi, events=events, model=model,
                           challenger=args.challenger, progress=_progress, sample_rows=args.sample_rows)
    print(findings.summary("text"))
    title = f"Investigation of {Path(args.current).name} against {Path(args.reference).name}"
    if args.json:
        write_text(args.json, json.dumps(findings.to_dict(), indent=2) + "\n")
        _progress(f"wrote {args.json}")
    if args.markdown or args.html:
        postmortem = findings.postmortem(title=title)
        for path, fmt in ((args.markdown, "md"), (args.html, "html")):
            if path:
                postmortem.write(path, fmt=fmt)
                _progress(f"wrote {path}")
    _progress(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_shadow(args) -> int:
    from mlwatch.report.html import shadow_report, write_text
    from mlwatch.steps.shadow import shadow

    _check_outputs(args)
    reference, current = _read_pair(args)
    _progress(f"shadow scoring {args.challenger} against {args.champion} on {current.height:,} current rows")
    result = shadow(current, args.champion, args.challenger, target=args.target, segments=_columns(args.segments) or (),
                    targeted=_targeted(args.targeted), metric=args.metric, threshold=args.threshold, margin=args.margin,
                    since=_since(args.since))
    print(result.summary("text"))
    if args.champion in reference.columns:
        from mlwatch.stats.drift import psi

        moved = psi(reference[args.champion].drop_nulls(), current[args.champion].drop_nulls()).value
        print(f"\nThe champion's scores moved from reference to current: PSI {moved:.3f}.")
    title = f"Shadow scoring: {args.challenger} against {args.champion}"
    if args.json:
        write_text(args.json, json.dumps(result.to_dict(), indent=2) + "\n")
    if args.markdown:
        write_text(args.markdown, f"# {title}\n\n" + result.summary("markdown") + "\n")
    if args.html:
        write_text(args.html, shadow_report(result, title=title))
    return 0


def cmd_datasets(args) -> int:
    from mlwatch import gallery

    for folder in gallery.build(args.name):
        print(folder)
    return 0


def cmd_demo(args) -> int:
    """The main job: the incident walkthrough on a bundled gallery incident, to the postmortem."""
    from mlwatch import gallery
    from mlwatch.incident import investigate

    out = Path(args.out)
    _progress(f"building the gallery incident {args.incident!r} from the bundled real data")
    case = gallery.load(args.incident)
    _progress(f"{case.reference.height:,} reference and {case.current.height:,} current rows; investigating")
    findings = investigate(case.reference, case.current, events=case.events, model=case.model(),
                           challenger="challenger", progress=_progress, **case.investigate_kwargs())
    print(findings.summary("text"))
    if findings.shadow is not None:
        print("\nStep 7, shadow scoring of the fix: " + findings.shadow.sentence)
    postmortem = findings.postmortem(title=f"Postmortem: {args.incident}", owner="ml-oncall")
    paths = [postmortem.write(out / f"postmortem.{suffix}") for suffix in ("html", "md", "json")]
    write_json = out / "findings.json"
    from mlwatch.report.html import write_text

    write_text(write_json, json.dumps(findings.to_dict(), indent=2) + "\n")
    print(f"\nVerdict: {findings.verdict.summary}")
    print(f"Postmortem: {paths[0].resolve()}  (also {paths[1].name}, {paths[2].name}, {write_json.name})")
    return 0


def _add_queries(parser: argparse.ArgumentParser, sides: tuple[str, ...] = ("reference", "current")) -> None:
    parser.add_argument("--query", metavar="SQL", help="the rows of a side given as a database URI "
                        "(postgresql://user@host/db): SELECT ...")
    if len(sides) > 1:
        for side in sides:
            parser.add_argument(f"--{side}-query", metavar="SQL", help=f"the {side} side's own query")


def _add_outputs(parser: argparse.ArgumentParser, what: str) -> None:
    for flag in ("json", "html", "markdown"):
        parser.add_argument(f"--{flag}", type=Path, metavar="PATH", help=f"write the {what} as {flag}")
    parser.add_argument("--null-values", metavar="TEXT,...",
                        help="texts a CSV writes for a missing value besides the empty field (say NA,N/A)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlwatch", description="Debug a production model that went quietly wrong.")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error, not one line")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("baseline", help="save a reference window's summary (at training time) for later audits")
    p.add_argument("reference", help="parquet or CSV file, a parquet folder or glob (scanned batch by batch), "
                                     "or a database URI with --query (streamed)")
    _add_queries(p, ("reference",))
    p.add_argument("--out", required=True, type=Path, metavar="PATH.mlwatch", help="the baseline file to write")
    p.add_argument("--features", help="comma-separated columns to keep (default: all)")
    p.add_argument("--exclude", help="comma-separated columns to leave out")
    p.add_argument("--bins", type=_bins, default=10, help="quantile bins for numeric features (default 10)")
    p.add_argument("--sample-rows", type=_non_negative_int, default=0, metavar="N",
                   help="also keep N reference rows (a uniform sample, every column), so that `mlwatch investigate "
                        "ref.mlwatch ...` can run against the baseline (default 0: summaries only)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_baseline)

    p = sub.add_parser("audit", help="step 5: which features drifted, and data quality (reference vs current)")
    p.add_argument("reference", help="parquet or CSV file, a baseline (.mlwatch), a parquet folder or glob, "
                                     "or a database URI (with --query)")
    p.add_argument("current", help="parquet or CSV file, a parquet folder or glob, or a database URI (scanned "
                                   "when large)")
    _add_queries(p)
    p.add_argument("--features", help="comma-separated columns to audit (default: all)")
    p.add_argument("--exclude", help="comma-separated columns to leave out")
    p.add_argument("--where", action="append", metavar="COLUMN=VALUE",
                   help="restrict to a slice; repeat for several columns (or values: any of them)")
    p.add_argument("--bins", type=_bins, default=10, help="quantile bins for numeric features (default 10)")
    p.add_argument("--psi-threshold", type=_non_negative, default=0.1, help="material PSI (default 0.1)")
    p.add_argument("--alpha", type=_probability, default=0.05, help="false discovery rate (default 0.05)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_outputs(p, "result")
    p.set_defaults(run=cmd_audit)

    p = sub.add_parser("investigate", help="steps 1-5 and the verdict: what broke, where, and why")
    p.add_argument("reference", help="parquet or CSV file, a parquet folder or glob, a database URI (with --query), "
                                     "or a baseline that kept rows (mlwatch baseline --sample-rows)")
    p.add_argument("current", help="parquet or CSV file, a parquet folder or glob, or a database URI (with --query)")
    _add_queries(p)
    p.add_argument("--target", help="label column (omit, or leave the current one empty, when labels are late)")
    p.add_argument("--prediction", required=True, help="score/probability (classification) or value (regression)")
    p.add_argument("--segments", help="comma-separated columns to slice on (default: low-cardinality text columns)")
    p.add_argument("--features", help="comma-separated columns to audit (default: all the others)")
    p.add_argument("--time", help="time column (enables step 1 and the onsets)")
    p.add_argument("--task", choices=["classification", "regression"], help="default: inferred from the target")
    p.add_argument("--metric", choices=["accuracy", "auc", "log_loss", "mae", "rmse"],
                   help="default: accuracy (classification), mae (regression)")
    p.add_argument("--kpi", help="a business KPI column for step 1")
    p.add_argument("--events", type=Path, metavar="EVENTS.csv",
                   help="upstream events: a time column (time, timestamp, date...) and a description "
                        "(description, event, name, message...)")
    p.add_argument("--event-column", metavar="COL", help="the events' column that describes each event")
    p.add_argument("--model", type=Path, metavar="PATH",
                   help="the production model (LightGBM .txt, XGBoost .json, .skops) for SHAP attribution stability")
    p.add_argument("--trust-model", action="store_true",
                   help="allow loading a pickle/joblib model (it can run code: only for files you trust)")
    p.add_argument("--challenger", metavar="COL", help="current-data column with the candidate fix's scores (step 7)")
    p.add_argument("--sample-rows", type=_positive_int, default=1_000_000, metavar="N",
                   help="rows a side the row-level steps read from a larger folder, glob or query (a uniform "
                        "sample; step 5 audits every row; default 1,000,000)")
    _add_outputs(p, "findings")
    p.set_defaults(run=cmd_investigate)

    p = sub.add_parser("shadow", help="step 7: champion vs challenger on the same current rows")
    p.add_argument("reference", help="parquet or CSV file (for how the champion's scores moved)")
    p.add_argument("current", help="parquet or CSV file with both models' scores")
    p.add_argument("--champion", required=True, metavar="COL", help="the production model's scores")
    p.add_argument("--challenger", required=True, metavar="COL", help="the candidate's scores")
    p.add_argument("--target", help="label column (without it: label-free comparison only)")
    p.add_argument("--segments", help="comma-separated columns to compare per value")
    p.add_argument("--targeted", action="append", metavar="COLUMN=VALUE", help="the slice the fix is aimed at")
    p.add_argument("--since", metavar="TIME_COLUMN=START",
                   help="the targeted slice broke from START on: also compare on its rows from then (e.g. "
                        "time=2013-08-22)")
    p.add_argument("--metric", choices=["accuracy", "auc", "log_loss", "mae", "rmse"])
    p.add_argument("--threshold", type=_unit_interval, default=0.5, help="decision threshold (default 0.5)")
    p.add_argument("--margin", type=_non_negative, default=0.01, help="non-inferiority margin, metric units (default 0.01)")
    _add_outputs(p, "comparison")
    p.set_defaults(run=cmd_shadow)

    p = sub.add_parser("datasets", help="build the incident gallery from the bundled data")
    p.add_argument("action", choices=["build"])
    p.add_argument("name", nargs="?", help="one incident (default: all)")
    p.set_defaults(run=cmd_datasets)

    p = sub.add_parser("demo", help="the main job: a bundled incident walked to its postmortem, in --out")
    p.add_argument("--out", default="out", help="folder for the reports (default: out)")
    p.add_argument("--incident", default="flights_unit_skew", help="a gallery incident (default: flights_unit_skew)")
    p.set_defaults(run=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DataError as err:
        if args.debug:
            raise
        message = str(err)
        for side in ("reference", "current"):   # name the file the frame came from
            path = getattr(args, side, None)
            if str(path).startswith(("postgresql://", "postgres://")):
                from mlwatch.sources import redacted
                path = redacted(path)
            if path is not None and message.startswith(f"{side}:"):
                message = f"{side} ({path}):" + message[len(side) + 1:]
        where = f" (column {err.column!r})" if err.column and err.column not in message else ""
        print(f"mlwatch: error: {message}{where}", file=sys.stderr)
        return 2
    except MlwatchError as err:
        if args.debug:
            raise
        print(f"mlwatch: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mlwatch: interrupted", file=sys.stderr)
        return 130
    except Exception as err:        # the boundary: one line, the traceback only with --debug
        if args.debug:
            raise
        print(f"mlwatch: error: {_one_line(err)} (--debug for the traceback)", file=sys.stderr)
        return 2


def _one_line(err: BaseException) -> str:
    """An unexpected error in one line: its kind and the first line of its message (a file's
    name when the OS names one)."""
    if isinstance(err, OSError) and err.filename:
        return f"cannot use {err.filename}: {err.strerror or err}"
    first = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
