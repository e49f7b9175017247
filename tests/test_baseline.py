"""The saved reference: a Baseline audits as its frame does, saves, loads and merges.

The tally under it is checked against numpy and scipy (quantiles, KS, Wasserstein) exactly
when it is exact and within its own stated bounds when it is compressed."""


import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as st_

from mlwatch import Baseline, audit, gallery
from mlwatch.baseline import summarise_batches
from mlwatch.errors import DataError, MissingColumnError, SchemaError
from mlwatch.stats import tally as tl
from mlwatch.stats.tally import Tally, as_tally

BINNED = ["psi", "chi2", "js", "hellinger", "kl", "tv", "chi2_p_value", "noise_floor", "psi_expected"]


# ------------------------------------------------------------------ the tally

samples = st.lists(st.integers(-50, 50), min_size=1, max_size=300).map(lambda v: np.sort(np.array(v, float) / 4))


@pytest.mark.filterwarnings("ignore::RuntimeWarning:scipy")     # scipy's own asymptotics on tiny samples
@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_an_exact_tally_reads_as_its_sample(a, b):
    ta, tb = as_tally(a), as_tally(b)
    assert ta.exact and ta.n == a.size
    p = np.linspace(0, 1, 17)
    np.testing.assert_allclose(ta.quantile(p), np.quantile(a, p), rtol=0, atol=1e-12)
    assert tl.ks(ta, tb) == pytest.approx(st_.ks_2samp(a, b, method="asymp").statistic, abs=1e-12)
    assert tl.wasserstein(ta, tb) == pytest.approx(st_.wasserstein_distance(a, b), abs=1e-9)
    assert ta.std() == pytest.approx(np.std(a), abs=1e-9)
    assert ta.count_at(a[0]) == np.sum(a == a[0])


@pytest.mark.parametrize("draw", ["lognormal", "offset", "zeros", "cauchy"])
def test_a_compressed_tally_keeps_within_its_stated_bounds(draw):
    rng = np.random.default_rng(7)
    n = 300_000
    make = {"lognormal": lambda: rng.lognormal(3, 1, n), "offset": lambda: rng.normal(40.7, 0.05, n),
            "zeros": lambda: np.r_[rng.normal(0, 1, n - n // 10), np.zeros(n // 10)],
            "cauchy": lambda: rng.standard_cauchy(n)}[draw]
    a, b = np.sort(make()), np.sort(make() * 1.01)
    ta = Tally.from_sorted(a, keep=(0.0,))
    assert not ta.exact and ta.values.size <= 1.02 * tl.POINTS
    assert 0 < ta.rank_error <= 2 / tl.POINTS
    tb = as_tally(b)                                      # exact
    assert abs(tl.ks(ta, tb) - tl.ks(as_tally(a), tb)) <= ta.rank_error + 1e-12
    assert abs(tl.wasserstein(ta, tb) - st_.wasserstein_distance(a, b)) <= ta.w_error * (1 + 1e-9) + 1e-12
    assert ta.minimum == a[0] and ta.maximum == a[-1]
    if draw == "zeros":                                   # a heavy value keeps its exact count
        assert ta.count_at(0.0) == np.sum(a == 0)


def test_merged_tallies_carry_their_bounds():
    rng = np.random.default_rng(3)
    x = rng.gamma(2, 10, 400_000)
    parts = [Tally.from_sorted(np.sort(p)) for p in np.array_split(x, 4)]
    merged = parts[0].merge(parts[1]).merge(parts[2].merge(parts[3]))
    exact = as_tally(np.sort(x))
    assert merged.n == x.size and not merged.exact
    assert tl.ks(merged, exact) <= merged.rank_error + 1e-12
    assert merged.rank_error < 0.002
    assert tl.wasserstein(merged, exact) <= merged.w_error + 1e-9
    few = Tally.from_sorted(np.array([1.0, 2.0])).merge(Tally.from_sorted(np.array([2.0, 3.0])))
    assert few.exact and few.values.tolist() == [1.0, 2.0, 3.0] and few.counts.tolist() == [1, 2, 1]


# --------------------------------------------------------- a baseline audits as its frame

@pytest.fixture(scope="module")
def census():
    """The ACS reference year (2015) and later years, without the row id."""
    from mlwatch import datasets

    reference, current = datasets.acs_employment()
    return reference.drop("id"), current.drop("id")


@pytest.fixture(scope="module", params=gallery.names())
def incident(request):
    return gallery.load(request.param)


def _features(incident):
    roles = incident.roles
    skip = {roles.get("time"), roles.get("id"), roles.get("target"), roles.get("prediction"), "challenger"}
    return [c for c in incident.reference.columns if c not in skip]


def test_a_baseline_audits_as_its_frame_on_every_gallery_incident(incident):
    features = _features(incident)
    framed = audit(incident.reference, incident.current, features=features)
    base = Baseline.from_frame(incident.reference, features=features)
    saved = audit(base, incident.current, features=features)
    assert saved.drifted == framed.drifted
    assert saved.n_reference == framed.n_reference
    a, b = framed.table.sort("feature"), saved.table.sort("feature")
    for column in BINNED:
        np.testing.assert_allclose(b[column].to_numpy(), a[column].to_numpy(), rtol=1e-12, equal_nan=True,
                                   err_msg=column)
    numeric = a["ks"].is_not_null().to_numpy()
    exact = np.array([base[f].tally.exact if base[f].kind == "numeric" else True for f in a["feature"]])
    bound = np.array([base[f].tally.rank_error if base[f].kind == "numeric" else 0.0 for f in a["feature"]])
    ks_gap = np.abs(b["ks"].to_numpy()[numeric] - a["ks"].to_numpy()[numeric])
    assert np.all(ks_gap <= bound[numeric] + 1e-12) and ks_gap.max(initial=0) <= 0.002
    w_a, w_b = a["wasserstein"].to_numpy()[numeric], b["wasserstein"].to_numpy()[numeric]
    assert np.all(np.abs(w_b - w_a) <= np.maximum(0.01 * w_a, 1e-12) + ~exact[numeric] * 0.005)
    qa, qb = (r.quality.sort("feature", "check").select("feature", "check", "failed", "material", "reference")
              for r in (framed, saved))
    assert qa.equals(qb)


def test_a_baseline_saves_and_loads_without_code(tmp_path, census):
    acs, later = census
    base = Baseline.from_frame(acs)
    path = base.save(tmp_path / "acs.mlwatch")
    loaded = Baseline.load(path)
    assert loaded.columns == base.columns and loaded.n_rows == acs.height
    for c in base.columns:
        a, b = base[c], loaded[c]
        assert (a.kind, a.n, a.n_null, a.distinct, a.grid, a.categories) == (b.kind, b.n, b.n_null, b.distinct,
                                                                             b.grid, b.categories)
        if a.tally is not None:
            np.testing.assert_array_equal(a.tally.values, b.tally.values)
            np.testing.assert_array_equal(a.tally.counts, b.tally.counts)
    current = later.sample(5000, seed=1)
    assert audit(loaded, current).table.equals(audit(base, current).table)
    assert audit(str(path), current).drifted == audit(base, current).drifted   # a .mlwatch path is a baseline
    import pyarrow.parquet as pq
    assert b"mlwatch.baseline/1" in pq.read_schema(path).metadata[b"mlwatch"]


def test_a_baseline_file_that_is_not_one_fails_clearly(tmp_path):
    other = tmp_path / "other.mlwatch"
    pl.DataFrame({"x": [1]}).write_parquet(other)
    with pytest.raises(SchemaError, match="not a mlwatch.baseline/1 file"):
        Baseline.load(other)
    junk = tmp_path / "junk.mlwatch"
    junk.write_bytes(b"\x80\x04not parquet")
    with pytest.raises(SchemaError, match="is not a baseline file"):
        Baseline.load(junk)
    with pytest.raises(DataError, match="no file"):
        Baseline.load(tmp_path / "absent.mlwatch")


def test_a_million_row_baseline_is_small(rng, tmp_path):
    frame = pl.DataFrame({f"f{i:02d}": rng.lognormal(0, 1, 1_000_000) for i in range(25)})
    path = Baseline.from_frame(frame).save(tmp_path / "big.mlwatch")
    assert path.stat().st_size < 2_000_000


def test_two_days_summarised_apart_merge_into_both(census):
    acs, later = census
    day1, day2 = acs.head(acs.height // 2), acs.tail(acs.height - acs.height // 2)
    merged = Baseline.from_frame(day1).merge(Baseline.from_frame(day2))
    whole = Baseline.from_frame(acs)
    assert merged.n_rows == whole.n_rows
    for c in whole.columns:
        a, b = merged[c], whole[c]
        assert (a.n, a.n_null, a.n_nan, a.categories) == (b.n, b.n_null, b.n_nan, b.categories), c
        if b.kind == "numeric":
            assert tl.ks(a.tally, b.tally) <= a.tally.rank_error + b.tally.rank_error + 1e-12, c
            if b.tally.exact:      # few distinct values: the merge is exact, bins and all
                np.testing.assert_array_equal(a.tally.counts, b.tally.counts)
                np.testing.assert_array_equal(a.bin_counts, b.bin_counts)
    current = later.sample(20_000, seed=2)
    assert audit(merged, current).drifted == audit(whole, current).drifted


def test_baselines_of_other_columns_do_not_merge(census):
    acs = census[0]
    with pytest.raises(SchemaError, match="cannot merge"):
        Baseline.from_frame(acs.select("AGEP")).merge(Baseline.from_frame(acs.select("SCHL")))


def test_bad_input_against_a_baseline_names_the_column(census):
    acs = census[0]
    base = Baseline.from_frame(acs.select("AGEP", "SEX"))
    with pytest.raises(MissingColumnError, match="no column 'SCHL'"):
        audit(base, acs, features=["SCHL"])
    report = audit(base, acs.drop("SEX"))                     # a column lost upstream is reported
    assert report.failed_checks.filter(pl.col("check") == "column_missing")["feature"].to_list() == ["SEX"]
    with pytest.raises(DataError, match="not its slices"):
        audit(base, acs, where={"SEX": 1})


def test_a_scan_summarises_a_partitioned_folder_as_the_frame(tmp_path, census):
    acs = census[0]
    folder = tmp_path / "ref"
    acs.with_columns((pl.int_range(pl.len()) % 3).alias("part")).write_parquet(folder, partition_by="part")
    scanned = Baseline.from_parquet(folder, exclude=["part"], batch_rows=7_000, progress=False)
    whole = Baseline.from_frame(acs)
    assert scanned.n_rows == acs.height and set(scanned.columns) == set(whole.columns)
    for c in whole.columns:
        a, b = scanned[c], whole[c]
        assert (a.n, a.n_null, a.categories) == (b.n, b.n_null, b.categories), c
        if b.kind == "numeric":
            assert tl.ks(a.tally, b.tally) <= a.tally.rank_error + b.tally.rank_error + 1e-12, c
    current = census[1].sample(20_000, seed=3).with_columns(pl.col("AGEP") * 12)
    assert audit(scanned, current).drifted == audit(acs, current).drifted


def test_a_scan_counts_the_current_window_in_the_reference_bins(tmp_path, census):
    acs = census[0]
    base = Baseline.from_frame(acs.select("AGEP", "predicted_probability"))
    path = tmp_path / "cur.parquet"
    acs.select("AGEP", "predicted_probability").write_parquet(path)
    current = summarise_batches(pl.scan_parquet(path), edges={c: base[c].edges for c in base.columns},
                                bins=None, batch_rows=9_000, progress=False, name="current")
    for c in base.columns:
        np.testing.assert_array_equal(current[c].bin_counts, base[c].bin_counts)


def test_the_scanned_audit_finds_what_the_memory_audit_finds(tmp_path, census):
    reference, current = census
    current = current.with_columns(pl.when(pl.col("SEX") == "2").then(pl.col("AGEP") * 12).otherwise(pl.col("AGEP"))
                                   .alias("AGEP"))
    reference.write_parquet(tmp_path / "ref.parquet")
    folder = tmp_path / "cur"
    current.write_parquet(folder, partition_by="SEX")                   # hive: SEX=1/, SEX=2/
    framed = audit(reference, current)
    scanned = audit(tmp_path / "ref.parquet", folder, scan=True, progress=False)
    assert scanned.drifted == framed.drifted and scanned.n_current == current.height
    a, b = framed.table.sort("feature"), scanned.table.sort("feature")
    np.testing.assert_allclose(b["psi"].to_numpy(), a["psi"].to_numpy(), rtol=1e-9)
    assert framed.failed_checks["check"].to_list() == scanned.failed_checks["check"].to_list()
    sliced = audit(tmp_path / "ref.parquet", folder, scan=True, where={"SEX": 2}, progress=False)
    assert sliced.n_current == current.filter(pl.col("SEX") == "2").height and "AGEP" in sliced.drifted


def test_the_command_line_saves_a_baseline_and_audits_against_it(tmp_path, census):
    from mlwatch.cli import main

    reference, current = census
    reference.write_parquet(tmp_path / "ref.parquet")
    current.with_columns(pl.col("AGEP") * 12).write_parquet(tmp_path / "cur.parquet")
    assert main(["baseline", str(tmp_path / "ref.parquet"), "--out", str(tmp_path / "ref.mlwatch"), "--quiet"]) == 0
    assert main(["audit", str(tmp_path / "ref.mlwatch"), str(tmp_path / "cur.parquet"), "--quiet",
                 "--json", str(tmp_path / "audit.json")]) == 0
    import json
    document = json.loads((tmp_path / "audit.json").read_text())
    assert {"AGEP", "year"} <= {f["feature"] for f in document["features"] if f["drifted"]}
    assert main(["audit", str(tmp_path / "absent.mlwatch"), str(tmp_path / "cur.parquet")]) == 2


# ------------------------------------------------------------------ kept rows: investigate against a baseline

def test_a_baseline_keeps_rows_in_order_and_saves_them(tmp_path, census):
    acs = census[0].with_row_index("row")
    base = Baseline.from_frame(acs.drop("row"), sample_rows=5_000)
    assert base.sample.height == 5_000 and base.sample.columns == acs.drop("row").columns
    kept = Baseline.from_frame(acs, sample_rows=5_000).sample["row"]
    assert kept.is_sorted() and kept.n_unique() == 5_000                      # in their order, no repeats
    loaded = Baseline.load(base.save(tmp_path / "kept.mlwatch"))
    assert loaded.sample.equals(base.sample) and "5,000 rows kept" in repr(loaded)
    assert Baseline.load(Baseline.from_frame(acs).save(tmp_path / "bare.mlwatch")).sample is None
    # a merge keeps each side's rows in proportion to its rows
    day1, day2 = acs.head(30_000), acs.tail(acs.height - 30_000)
    merged = Baseline.from_frame(day1, sample_rows=3_000).merge(Baseline.from_frame(day2, sample_rows=3_000))
    share = (merged.sample["row"] < 30_000).mean()
    assert merged.sample.height == 3_000 and share == pytest.approx(30_000 / acs.height, abs=0.01)


def test_a_slice_of_a_baseline_is_audited_against_the_rows_it_kept(census):
    acs, later = census
    base = Baseline.from_frame(acs, sample_rows=acs.height)                  # every row kept: exact
    current = later.with_columns(pl.when(pl.col("SEX") == "2").then(pl.col("AGEP") * 12).otherwise(pl.col("AGEP")))
    framed = audit(acs, current, where={"SEX": 2})
    saved = audit(base, current, where={"SEX": 2})
    assert saved.drifted == framed.drifted and saved.n_reference == framed.n_reference
    with pytest.raises(DataError, match="sample_rows"):
        audit(Baseline.from_frame(acs), current, where={"SEX": 2})


@pytest.mark.parametrize("name", ["flights_unit_skew", "acs_concept_drift"])
def test_investigate_against_a_baseline_that_kept_its_rows(name):
    from mlwatch import investigate

    case = gallery.load(name)
    kwargs = case.investigate_kwargs()
    framed = investigate(case.reference, case.current, **kwargs)
    every = investigate(Baseline.from_frame(case.reference, sample_rows=case.reference.height), case.current, **kwargs)
    assert every.verdict.to_dict() == framed.verdict.to_dict()
    assert every.audited_slice == framed.audited_slice and every.audit.drifted == framed.audit.drifted
    assert every.slices.table.equals(framed.slices.table)
    third = investigate(Baseline.from_frame(case.reference, sample_rows=case.reference.height // 3), case.current,
                        **kwargs)
    assert third.verdict.kind == framed.verdict.kind and third.audited_slice == framed.audited_slice
    assert third.rows["reference"] == {"read": case.reference.height // 3, "total": case.reference.height}
    assert (third.population_audit or third.audit).n_reference == case.reference.height     # on the summaries
    with pytest.raises(DataError, match="kept no reference rows"):
        investigate(Baseline.from_frame(case.reference), case.current, **kwargs)


def test_the_command_line_investigates_against_a_saved_baseline(tmp_path):
    import json

    from mlwatch.cli import main

    case = gallery.load("bike_fahrenheit")
    case.reference.write_parquet(tmp_path / "ref.parquet")
    case.current.write_parquet(tmp_path / "cur.parquet")
    roles = case.investigate_kwargs()
    assert main(["baseline", str(tmp_path / "ref.parquet"), "--out", str(tmp_path / "ref.mlwatch"),
                 "--sample-rows", "2000", "--quiet"]) == 0
    assert main(["investigate", str(tmp_path / "ref.mlwatch"), str(tmp_path / "cur.parquet"),
                 "--prediction", roles["prediction"], "--target", roles["target"], "--time", roles["time"],
                 "--json", str(tmp_path / "f.json")]) == 0
    document = json.loads((tmp_path / "f.json").read_text())
    assert document["sampled"]["reference"] == {"read": 2000, "total": 4000}
    assert document["verdict"]["kind"] == "skew"


def test_every_step_reads_the_rows_a_baseline_kept(census):
    from mlwatch import find_slices, resolve_scoring
    from mlwatch.steps.segments import segment_drift

    acs, later = census
    kept = Baseline.from_frame(acs, sample_rows=acs.height)
    current = later.sample(20_000, seed=6)
    scoring = resolve_scoring(acs, current, prediction="predicted_probability", target="employed")
    a = find_slices(kept, current, scoring, segments=["SEX", "MAR"])
    b = find_slices(acs, current, scoring, segments=["SEX", "MAR"])
    assert a.table.equals(b.table)
    assert segment_drift(kept, current, segments=["SEX"], features=["AGEP"]).table.equals(
        segment_drift(acs, current, segments=["SEX"], features=["AGEP"]).table)
    with pytest.raises(DataError, match="kept no rows"):
        find_slices(Baseline.from_frame(acs), current, scoring, segments=["SEX"])
