"""Where the rows live: Spark (local[2], for real) and PostgreSQL (a real server) give the
audit's findings the in-memory path gives, on every gallery incident.

Spark needs Java 17+ and pyspark; PostgreSQL a server at ``MLWATCH_TEST_POSTGRES`` (default
``postgresql://mlwatch:mlwatch@localhost:5432/mlwatch_test``). ``.ci/run`` installs and starts
both; elsewhere these tests are skipped, saying what is missing."""

import json
import os
import shutil
import warnings

import numpy as np
import polars as pl
import pytest

from mlwatch import Baseline, audit, gallery, investigate, sql
from mlwatch.errors import DataError, MissingColumnError
from mlwatch.stats import tally as tl

BINNED = ["psi", "chi2", "js", "hellinger", "kl", "tv", "chi2_p_value", "noise_floor", "psi_expected"]
POSTGRES = os.environ.get("MLWATCH_TEST_POSTGRES", "postgresql://mlwatch:mlwatch@localhost:5432/mlwatch_test")


def _features(incident):
    roles = incident.roles
    skip = {roles.get("time"), roles.get("id"), roles.get("target"), roles.get("prediction"), "challenger"}
    return [c for c in incident.reference.columns if c not in skip]


def _same_audit(framed, other, *, ks_bound=1e-12, rtol=1e-9):
    assert other.drifted == framed.drifted
    assert (other.n_reference, other.n_current) == (framed.n_reference, framed.n_current)
    a, b = framed.table.sort("feature"), other.table.sort("feature")
    assert a["feature"].to_list() == b["feature"].to_list()
    for column in BINNED:
        np.testing.assert_allclose(b[column].to_numpy(), a[column].to_numpy(), rtol=rtol, equal_nan=True,
                                   err_msg=column)
    np.testing.assert_allclose(b["ks"].to_numpy(), a["ks"].to_numpy(), rtol=0, atol=ks_bound, equal_nan=True)
    qa, qb = (r.quality.sort("feature", "check").select("feature", "check", "failed", "material")
              for r in (framed, other))
    assert qa.equals(qb)


@pytest.fixture(scope="module", params=gallery.names())
def incident(request):
    return gallery.load(request.param)


@pytest.fixture(scope="module")
def census():
    from mlwatch import datasets

    reference, current = datasets.acs_employment()
    return reference.drop("id"), current.drop("id")


# ------------------------------------------------------------------ Spark

@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17+ (Debian: openjdk-17-jre-headless; .ci/run installs it)")
    pytest.importorskip("pyspark", reason="Spark needs pyspark: pip install 'mlwatch[spark]'")
    from mlwatch.sources import local_spark

    warnings.filterwarnings("ignore", message=".*pandas >= 3.0.0.*")
    session = local_spark("mlwatch-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _spark_frame(spark, frame: pl.DataFrame, partitions: int = 3):
    return spark.createDataFrame(frame.to_arrow()).repartition(partitions)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_spark_audits_as_memory_on_every_gallery_incident(spark, incident):
    features = _features(incident)
    framed = audit(incident.reference, incident.current, features=features)
    summarised = audit(_spark_frame(spark, incident.reference), _spark_frame(spark, incident.current),
                       features=features)
    _same_audit(framed, summarised)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_a_spark_baseline_is_the_frames_baseline(spark, census, rng):
    acs, later = census
    df = _spark_frame(spark, acs, partitions=4)
    from_spark, whole = Baseline.from_spark(df), Baseline.from_frame(acs)
    assert from_spark.n_rows == acs.height and from_spark.meta["partitions"] == 4
    for c in whole.columns:
        a, b = from_spark[c], whole[c]
        assert (a.kind, a.n, a.n_null, a.categories, a.grid) == (b.kind, b.n, b.n_null, b.categories, b.grid), c
        if b.kind == "numeric" and b.tally.exact:        # few distinct values: exact, bins and all
            np.testing.assert_array_equal(a.tally.counts, b.tally.counts)
            np.testing.assert_array_equal(a.bin_counts, b.bin_counts)
        elif b.kind == "numeric":
            assert tl.ks(a.tally, b.tally) <= a.tally.rank_error + b.tally.rank_error + 1e-12, c
    current = later.sample(20_000, seed=4).with_columns(pl.col("AGEP") * 12)
    assert audit(from_spark, current).drifted == audit(acs, current).drifted
    kept = Baseline.from_spark(df.select("AGEP", "SEX"), sample_rows=2_000).sample      # a Bernoulli sample
    assert kept.columns == ["AGEP", "SEX"] and 1_700 < kept.height < 2_300

    # a continuous column of 400k rows in 6 partitions: compressed on the executors, within its bounds
    values = rng.lognormal(3, 1, 400_000)
    wide = spark.createDataFrame(pl.DataFrame({"x": values}).to_arrow()).repartition(6)
    summary = Baseline.from_spark(wide)["x"]
    assert not summary.tally.exact and summary.tally.n == values.size
    gap = tl.ks(summary.tally, tl.as_tally(np.sort(values)))
    assert gap <= summary.tally.rank_error + 1e-12 and gap <= 0.002
    assert summary.tally.minimum == values.min() and summary.tally.maximum == values.max()


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_spark_filters_a_slice_on_the_executors(spark, census):
    acs, later = census
    later = later.with_columns(pl.when(pl.col("SEX") == "2").then(pl.col("AGEP") * 12).otherwise(pl.col("AGEP")))
    framed = audit(acs, later, where={"SEX": 2})
    summarised = audit(_spark_frame(spark, acs), _spark_frame(spark, later), where={"SEX": 2})
    # the score column has more distinct values than a partition's tally keeps: its PSI bins
    # are cut on the merged tally (within its rank error of the exact quantiles), so PSI and
    # KS (and the p-values, more sensitive) agree to a few per cent, not to the last digit
    _same_audit(framed, summarised, rtol=0.05, ks_bound=0.002)
    assert "AGEP" in summarised.drifted


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_spark_input_errors_name_the_column(spark, census):
    acs = census[0].select("AGEP", "SEX")
    df = _spark_frame(spark, acs)
    with pytest.raises(MissingColumnError, match="no column 'SCHL'"):
        Baseline.from_spark(df, features=["SCHL"])
    with pytest.raises(MissingColumnError, match="no column 'RACE'"):
        audit(df, df, where={"RACE": 1})
    with pytest.raises(DataError, match="no rows"):
        Baseline.from_spark(df.limit(0))
    from mlwatch.data import to_frame

    with pytest.raises(DataError, match="current: a Spark DataFrame is summarised where it lives"):
        to_frame(df, name="current")           # a step that reads rows never collects a Spark frame whole
    with pytest.raises(DataError, match="expected a pyspark DataFrame"):
        Baseline.from_spark(acs)


def _same_findings(framed, other):
    """The same findings but for the last digits of sums taken in another row order."""
    a, b = (json.loads(json.dumps(f.to_dict(), default=str), parse_float=lambda x: round(float(x), 9))
            for f in (framed, other))
    assert b == a


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_investigate_on_spark_reads_rows_up_to_a_bound_and_audits_every_row(spark):
    case = gallery.load("flights_unit_skew")
    kwargs = case.investigate_kwargs()
    reference, current = _spark_frame(spark, case.reference), _spark_frame(spark, case.current)
    framed = investigate(case.reference, case.current, **kwargs)
    whole = investigate(reference, current, **kwargs)          # fewer rows than the bound: read whole
    assert whole.rows is None and whole.audited_slice == {"carrier": "UA"}
    _same_findings(framed, whole)
    sampled = investigate(reference, current, sample_rows=20_000, **kwargs)
    assert sampled.rows["current"]["total"] == case.current.height
    assert 0.4 < sampled.rows["current"]["read"] / case.current.height < 0.66         # Bernoulli at 20k / 37k
    assert sampled.population_audit is None or sampled.population_audit.n_current == case.current.height
    assert (sampled.population_audit or sampled.audit).n_reference == case.reference.height  # step 5: every row
    assert sampled.verdict.kind == "skew" and "retrain" not in sampled.verdict.action.replace("do not retrain", "")
    assert "uniform sample" in sampled.summary("text")
    assert sampled.to_dict()["sampled"] == sampled.rows


# ------------------------------------------------------------------ parquet folders

def test_investigate_on_a_parquet_folder_is_investigate_on_its_rows(tmp_path):
    case = gallery.load("bike_fahrenheit")
    case.reference.write_parquet(tmp_path / "ref", partition_by="season")
    case.current.write_parquet(tmp_path / "cur", partition_by="season")
    kwargs = case.investigate_kwargs()
    framed = investigate(case.reference, case.current, **kwargs)
    folder = investigate(tmp_path / "ref", tmp_path / "cur", **kwargs)
    assert folder.rows is None
    assert folder.verdict.to_dict() == framed.verdict.to_dict()
    assert folder.audit.drifted == framed.audit.drifted
    sampled = investigate(tmp_path / "ref", tmp_path / "cur", sample_rows=1_000, **kwargs)
    assert sampled.rows == {"reference": {"read": 1_000, "total": 4_000}, "current": {"read": 1_000, "total": 4_000}}
    assert (sampled.population_audit or sampled.audit).n_current == 4_000
    assert sampled.verdict.kind in ("skew", "data_quality")          # a unit change: a pipeline fault either way


def test_the_command_line_investigates_a_folder(tmp_path, capsys):
    from mlwatch.cli import main

    case = gallery.load("bike_fahrenheit")
    case.reference.write_parquet(tmp_path / "ref", partition_by="season")
    case.current.write_parquet(tmp_path / "cur", partition_by="season")
    roles = case.investigate_kwargs()
    argv = ["investigate", str(tmp_path / "ref"), str(tmp_path / "cur"), "--prediction", roles["prediction"],
            "--target", roles["target"], "--time", roles["time"], "--sample-rows", "2000",
            "--json", str(tmp_path / "f.json")]
    assert main(argv) == 0
    document = json.loads((tmp_path / "f.json").read_text())
    assert document["sampled"]["current"] == {"read": 2000, "total": 4000}
    with pytest.raises(SystemExit):                                   # a bound of no rows is refused
        main(argv[:-2] + ["--sample-rows", "0"])
    assert "--sample-rows" in capsys.readouterr().err


# ------------------------------------------------------------------ PostgreSQL

@pytest.fixture(scope="module")
def postgres():
    pg = pytest.importorskip("adbc_driver_postgresql.dbapi",
                             reason="SQL sources need the ADBC PostgreSQL driver: pip install 'mlwatch[sql]'")
    try:
        pg.connect(POSTGRES).close()
    except Exception as err:         # the driver's own error: no server there
        pytest.skip(f"no PostgreSQL at MLWATCH_TEST_POSTGRES ({err.__class__.__name__}); .ci/run starts one")

    def load(**tables: pl.DataFrame) -> None:
        with pg.connect(POSTGRES) as conn, conn.cursor() as cur:
            for name, frame in tables.items():
                cur.adbc_ingest(name, frame.to_arrow(), mode="replace")
            conn.commit()
    return load


def test_a_query_audits_as_memory_on_every_gallery_incident(postgres, incident):
    postgres(ref=incident.reference, cur=incident.current)
    features = _features(incident)
    framed = audit(incident.reference, incident.current, features=features)
    reference, current = sql(POSTGRES, "SELECT * FROM ref"), sql(POSTGRES, "SELECT * FROM cur")
    _same_audit(framed, audit(reference, current, features=features))                      # read whole
    _same_audit(framed, audit(reference, current, features=features, scan=True, progress=False))  # streamed


def test_investigate_reads_a_query_as_its_frame(postgres):
    case = gallery.load("bike_fahrenheit")
    postgres(ref=case.reference, cur=case.current)
    framed = investigate(case.reference, case.current, **case.investigate_kwargs()).to_dict()
    queried = investigate(sql(POSTGRES, "SELECT * FROM ref"), sql(POSTGRES, "SELECT * FROM cur"),
                          **case.investigate_kwargs()).to_dict()
    assert queried["verdict"] == framed["verdict"]
    # the same findings but for the last digits of sums taken in another row order
    a, b = (json.loads(json.dumps(d, default=str), parse_float=lambda x: round(float(x), 9)) for d in (framed, queried))
    assert a == b
    from mlwatch.sources import read_rows

    rows, total = read_rows(sql(POSTGRES, "SELECT * FROM cur"), 1_000, name="current")
    again, _ = read_rows(sql(POSTGRES, "SELECT * FROM cur"), 1_000, name="current")
    assert total == case.current.height and 800 < rows.height < 1_200 and rows.equals(again)   # seeded


def test_a_query_baseline_counts_categories_in_the_database(postgres, census):
    acs, later = census
    postgres(ref=acs)
    queried = Baseline.from_sql(POSTGRES, "SELECT * FROM ref", progress=False)
    whole = Baseline.from_frame(acs)
    assert queried.n_rows == whole.n_rows and queried.meta["source"] == "sql"
    for c in whole.columns:
        a, b = queried[c], whole[c]
        assert (a.kind, a.n, a.n_null, a.categories) == (b.kind, b.n, b.n_null, b.categories), c
        if b.kind == "numeric":
            np.testing.assert_array_equal(a.bin_counts, b.bin_counts)
    current = later.sample(20_000, seed=5).with_columns(pl.col("AGEP") * 12)
    assert audit(queried, current).drifted == audit(acs, current).drifted


def test_query_errors_say_which_side_and_hide_the_password(postgres):
    with pytest.raises(DataError, match=r"current: the query failed .*mlwatch_absent"):
        audit(sql(POSTGRES, "SELECT * FROM ref"), sql(POSTGRES, "SELECT * FROM mlwatch_absent"))
    wrong = POSTGRES.replace("://mlwatch:mlwatch@", "://mlwatch:hunter2@")
    with pytest.raises(DataError, match="cannot connect") as caught:
        sql(wrong, "SELECT 1").count()
    assert "hunter2" not in str(caught.value) and "hunter2" not in repr(sql(wrong, "SELECT 1"))
    with pytest.raises(DataError, match="only PostgreSQL"):
        sql("mysql://u@h/db", "SELECT 1")
    with pytest.raises(DataError, match="query is empty"):
        sql(POSTGRES, "  ")


def test_the_command_line_reads_a_query(postgres, census, tmp_path, capsys):
    from mlwatch.cli import main

    acs, later = census
    postgres(ref=acs, cur=later.with_columns(pl.col("AGEP") * 12))
    out = tmp_path / "ref.mlwatch"
    assert main(["baseline", POSTGRES, "--query", "SELECT * FROM ref", "--out", str(out), "--quiet"]) == 0
    assert main(["audit", str(out), POSTGRES, "--query", "SELECT * FROM cur", "--quiet",
                 "--json", str(tmp_path / "a.json")]) == 0
    drifted = {f["feature"] for f in json.loads((tmp_path / "a.json").read_text())["features"] if f["drifted"]}
    assert "AGEP" in drifted
    assert main(["audit", str(out), POSTGRES]) == 2
    assert "give the rows with --query" in capsys.readouterr().err
