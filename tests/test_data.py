"""Intake: every bad input gets one clear error naming the column, or a documented fallback."""

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from mlwatch import audit
from mlwatch.data import align, apply_where, infer_roles, to_frame
from mlwatch.errors import (AllNullError, DataError, EmptyDataError, MissingColumnError, MixedTypesError,
                            MlwatchError, SchemaMismatchError, UnhashableColumnError)


@pytest.fixture
def small(flights):
    return flights.select("dep_delay", "carrier", "origin", "distance").head(2000)


def test_every_input_type_becomes_one_polars_frame(small, tmp_path):
    pq, csv = tmp_path / "a.parquet", tmp_path / "a.csv"
    small.write_parquet(pq)
    small.write_csv(csv)
    frames = [to_frame(x) for x in (small, small.lazy(), small.to_pandas(), small.to_arrow(), pq, str(csv))]
    for f in frames:
        assert isinstance(f, pl.DataFrame)
        assert f.shape == small.shape
        assert f["dep_delay"].to_list() == small["dep_delay"].to_list()


def test_missing_column_names_column_and_frame(small):
    with pytest.raises(MissingColumnError, match=r"current: no column 'carrier'") as err:
        audit(small, small.drop("carrier"), features=["dep_delay", "carrier"])
    assert err.value.column == "carrier" and err.value.frame == "current"
    with pytest.raises(MissingColumnError, match="'nope'"):
        audit(small, small, features=["nope"])
    with pytest.raises(MissingColumnError, match=r"current: no column 'carrier'"):
        audit(small, small.drop("carrier"), missing_columns="raise")


def test_a_column_lost_upstream_is_a_failed_check_not_a_skipped_column(small):
    result = audit(small, small.drop("carrier"))          # every reference column, by default
    failed = result.failed_checks
    assert failed.select("feature", "check").rows() == [("carrier", "column_missing")]
    assert failed["p_value"][0] == 0.0 and "missing from current" in failed["detail"][0]
    assert result.table.filter(pl.col("feature") == "carrier")["n_current"][0] == small.height


def test_type_mismatch_names_the_column(small):
    current = small.with_columns(pl.col("distance").cast(pl.String) + "km")
    with pytest.raises(SchemaMismatchError, match=r"column 'distance' is Int64 in reference but String in current"):
        audit(small, current)


def test_compatible_type_changes_are_read_and_reported(small):
    current = small.with_columns(pl.col("distance").cast(pl.Float64),
                                 pl.col("dep_delay").cast(pl.String))   # numbers arriving as text
    result = audit(small, current)
    changes = result.quality.filter(pl.col("check") == "type_change")
    assert set(changes["feature"]) == {"distance", "dep_delay"}
    text = changes.filter(pl.col("feature") == "dep_delay").row(0, named=True)
    assert text["failed"] and "Float64 -> String" in text["detail"]          # numbers arriving as text: breaks
    widened = changes.filter(pl.col("feature") == "distance").row(0, named=True)
    assert not widened["failed"] and "same values" in widened["detail"]      # integer -> float: storage only
    assert result.table.filter(pl.col("feature") == "dep_delay")["psi"][0] == pytest.approx(0.0)


def test_categorical_vs_string_is_not_a_type_change(small):
    current = small.with_columns(pl.col("carrier").cast(pl.Categorical))
    result = audit(small, current)
    assert result.quality.filter(pl.col("check") == "type_change").height == 0


def test_all_null_reference_is_an_error(small):
    reference = small.with_columns(pl.lit(None, dtype=pl.Float64).alias("dep_delay"))
    with pytest.raises(AllNullError, match=r"reference: column 'dep_delay' has no value"):
        audit(reference, small)
    reference = small.with_columns(pl.lit(float("nan")).alias("dep_delay"))
    with pytest.raises(AllNullError, match="'dep_delay'"):
        audit(reference, small)


def test_all_null_current_is_a_finding_not_an_error(small):
    current = small.with_columns(pl.lit(None, dtype=pl.Float64).alias("dep_delay"))
    result = audit(small, current)
    row = result.table.filter(pl.col("feature") == "dep_delay").row(0, named=True)
    assert row["drifted"] and row["top_bin"] == "(missing)" and row["ks"] is None
    nulls = result.quality.filter((pl.col("feature") == "dep_delay") & (pl.col("check") == "null_rate"))
    assert nulls["failed"][0] and nulls["current"][0] == 1.0


def test_empty_frame_and_empty_slice(small):
    with pytest.raises(EmptyDataError, match="reference: the frame has no rows"):
        audit(small.head(0), small)
    with pytest.raises(EmptyDataError, match=r"reference: no rows where carrier = 'ZZ'"):
        audit(small, small, where={"carrier": "ZZ"})


def test_nan_and_inf_are_counted_not_fatal(small):
    values = small["dep_delay"].fill_null(0.0).to_numpy().copy()
    values[:30] = np.nan
    values[30:40] = np.inf
    values[40:45] = -np.inf
    result = audit(small, small.with_columns(pl.Series("dep_delay", values)))
    check = result.quality.filter((pl.col("feature") == "dep_delay") & (pl.col("check") == "non_finite")).row(0, named=True)
    assert check["failed"]
    assert "30 NaN and 15 inf" in check["detail"]
    row = result.table.filter(pl.col("feature") == "dep_delay").row(0, named=True)
    assert np.isfinite(row["psi"]) and np.isfinite(row["ks"]) and np.isfinite(row["wasserstein"])


def test_mixed_types_in_pandas_name_the_column():
    df = pd.DataFrame({"ok": [1, 2, 3], "zip": [2134, "02134", 2135]})
    with pytest.raises(MixedTypesError, match=r"column 'zip' mixes types \(int, str\)"):
        to_frame(df, name="current")


def test_unhashable_values_name_the_column():
    with pytest.raises(UnhashableColumnError, match="column 'tags'"):
        to_frame(pd.DataFrame({"tags": [["a"], ["b", "c"]]}))
    with pytest.raises(UnhashableColumnError, match="column 'meta'"):
        to_frame(pl.DataFrame({"meta": [{"a": 1}, {"a": 2}]}))
    with pytest.raises(UnhashableColumnError, match="column 'obj'"):
        to_frame(pd.DataFrame({"obj": [{"a": 1}, {"b": 2}]}))


def test_a_new_category_in_many_rows_gets_its_own_bin(small):
    current = small.with_columns(pl.when(pl.int_range(pl.len()) < 400).then(pl.lit("NEW"))
                                 .otherwise(pl.col("carrier")).alias("carrier"))
    result = audit(small, current, features=["carrier"])
    bins = result.feature_bins("carrier")
    new = bins.filter(pl.col("bin") == "NEW").row(0, named=True)
    assert new["current_count"] == 400 and new["reference_count"] == 0
    assert result.table["top_bin"][0] == "NEW" and result.drifted == ["carrier"]
    assert "NEW (400)" in result.quality.filter(pl.col("check") == "new_category")["detail"][0]


def test_bad_files_and_objects():
    with pytest.raises(DataError, match="reference: no such file"):
        to_frame("/nonexistent/x.parquet", name="reference")
    with pytest.raises(DataError, match="cannot read a list"):
        to_frame([1, 2, 3])


def test_unreadable_file_and_unknown_suffix(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(DataError, match="cannot read"):
        to_frame(bad, name="current")
    other = tmp_path / "x.xlsx"
    other.write_text("x")
    with pytest.raises(DataError, match="neither parquet"):
        to_frame(other)


def test_kind_override_and_invalid_kind(small):
    _, _, schema = align(small, small, ["distance"], kinds={"distance": "categorical"})
    assert schema.kinds == {"distance": "categorical"}
    with pytest.raises(MlwatchError, match="unknown kind for column 'distance' 'text'; expected one of"):
        align(small, small, ["distance"], kinds={"distance": "text"})


def test_pyarrow_table_and_boolean_features():
    t = pa.table({"flag": [True, False, True, None], "x": [1.0, 2.0, 3.0, 4.0]})
    result = audit(t, t)
    assert result.table.filter(pl.col("feature") == "flag")["kind"][0] == "boolean"


def test_roles_inference(flights):
    roles = infer_roles(flights.head(1000), target="arr_delay", time="time_hour")
    assert "carrier" in roles.segments and "origin" in roles.segments
    assert "tailnum" not in roles.segments            # too many values for a segment
    assert "arr_delay" not in roles.features and "carrier" not in roles.features
    assert "dep_delay" in roles.features


def test_where_takes_lists(small):
    out = apply_where(small, {"origin": ["JFK", "LGA"]}, name="current")
    assert set(out["origin"]) == {"JFK", "LGA"}


def test_where_on_numeric_columns_matches_numbers(small):
    out = apply_where(small, {"distance": "1089"}, name="current")
    assert out.height > 0 and set(out["distance"]) == {1089}
    with pytest.raises(DataError, match="column 'distance' is numeric"):
        apply_where(small, {"distance": "far"}, name="current")


def test_category_codes_stored_as_numbers_on_one_side_do_not_break(acs):
    """The reference is parquet (categorical codes), the current a CSV (the same codes as integers)."""
    reference, current = acs
    cur = current.head(5000).with_columns(pl.col("SCHL").cast(pl.String).cast(pl.Int64))
    result = audit(reference.head(5000), cur, features=["SCHL"])
    check = result.quality.filter(pl.col("check") == "type_change").row(0, named=True)
    assert not check["failed"] and "Categorical -> Int64" in check["detail"]
    assert result.table["psi"][0] < 0.05
    recoded = current.head(5000).with_columns((pl.col("SCHL").cast(pl.String).cast(pl.Int64) + 100))
    check = audit(reference.head(5000), recoded, features=["SCHL"]).quality.filter(pl.col("check") == "type_change")
    assert check["failed"][0]
