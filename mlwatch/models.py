"""Models at the boundary: loading model files safely, and scoring and explaining them.

Loading never unpickles a file unless the caller says it trusts it (``trust=True``,
``--trust-model`` on the command line): a pickle runs arbitrary code. Native formats need
no trust: LightGBM's text model, XGBoost's JSON/UBJSON model. scikit-learn models saved
with skops load when every type they hold is one skops trusts by default, or with
``trust=True``.

A :class:`Scorer` gives one interface to LightGBM, XGBoost and scikit-learn models (and
anything with ``predict_proba``/``predict``): the score of each row (the probability of the
positive class, or the value) and per-feature contributions (SHAP values) in the model's
output space, with the native ``pred_contrib`` of LightGBM/XGBoost where it exists (the
same numbers as ``shap.TreeExplainer``, faster), ``shap.TreeExplainer`` for scikit-learn
trees, and ``shap.Explainer`` on a small background sample otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import polars as pl

from mlwatch.errors import DataError, MlwatchError

PICKLES = (".pkl", ".pickle", ".joblib")


def load_model(path, *, trust: bool = False):
    """A model from ``path``: LightGBM text (.txt, .lgb), XGBoost (.json, .ubj), skops
    (.skops), or a pickle/joblib file only with ``trust=True``."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"model: no such file {path}")
    try:
        return _load(path, trust)
    except MlwatchError:
        raise
    except Exception as err:       # a corrupt or foreign file: say which, in one line
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise MlwatchError(f"model: cannot read {path}: {first[:300]}") from err


def _load(path: Path, trust: bool):
    suffix = path.suffix.lower()
    if suffix in PICKLES:
        if not trust:
            raise MlwatchError(f"model: refusing to unpickle {path}: a pickle can run any code. Save the model "
                               "in a native format (LightGBM .txt, XGBoost .json, skops), or pass trust=True "
                               "(--trust-model) if you trust this file")
        import joblib

        return joblib.load(path)
    if suffix == ".skops":
        import skops.io as sio

        untrusted = sio.get_untrusted_types(file=path)
        if untrusted and not trust:
            raise MlwatchError(f"model: {path} holds types skops does not trust by default "
                               f"({', '.join(untrusted[:5])}); pass trust=True (--trust-model) to load it")
        return sio.load(path, trusted=untrusted or None)
    if suffix in (".json", ".ubj"):
        try:
            import xgboost as xgb
        except ImportError:
            raise MlwatchError(f"model: {path} looks like an XGBoost model; install xgboost to read it") from None
        booster = xgb.Booster()
        booster.load_model(path)
        return booster
    head = path.read_text(errors="replace")[:200] if suffix in (".txt", ".lgb", ".model") else ""
    if head.startswith("tree"):
        import lightgbm as lgb

        return lgb.Booster(model_file=str(path))
    raise MlwatchError(f"model: cannot tell the format of {path}; use LightGBM .txt, XGBoost .json/.ubj, "
                       ".skops, or a pickle with trust=True")


@dataclass
class Scorer:
    """Scores and explains one model on polars frames."""

    model: Any
    features: list[str]
    kind: str                # "lightgbm", "xgboost", "sklearn_tree", "other"
    classifier: bool

    def _input(self, frame: pl.DataFrame):
        missing = [f for f in self.features if f not in frame.columns]
        if missing:
            raise DataError(f"model: the data has no column {missing[0]!r}, which the model needs", column=missing[0])
        categories = self._categories()
        schema = frame.schema
        for f in self.features:
            dtype = schema[f]
            if f not in categories and not (dtype.is_numeric() or dtype == pl.Boolean or dtype == pl.Null):
                raise DataError(f"model: column {f!r} holds {dtype} but the model reads it as a number "
                                "(cast it, or pass the categories the model was trained with)", column=f)
        x = frame.select(self.features).to_pandas()
        if categories:
            import pandas as pd

            for f, known in categories.items():
                # the codes the model was trained with; a value it never saw is missing to it
                text = x[f].astype("string")
                x[f] = pd.Categorical(text.astype(object).where(text.isin(known).fillna(False), None), categories=known)
        return x

    def _categories(self) -> dict[str, list]:
        """LightGBM's pandas categoricals: each categorical feature's categories, in the order
        the model's codes follow (from the model file's ``pandas_categorical``)."""
        if self.kind != "lightgbm":
            return {}
        booster = getattr(self.model, "booster_", self.model)
        known = getattr(booster, "pandas_categorical", None)
        if not known:
            return {}
        infos = booster.dump_model().get("feature_infos", {})
        categorical = [f for f in self.features if infos.get(f, {}).get("values")]
        return {f: [str(v) for v in cats] for f, cats in zip(categorical, known)}

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        """Probability of the positive class (classifiers) or the predicted value."""
        x = self._input(frame)
        if self.kind == "xgboost" and not hasattr(self.model, "predict_proba"):
            import xgboost as xgb

            return np.asarray(self.model.predict(xgb.DMatrix(x, enable_categorical=True)), dtype=float)
        if self.classifier and hasattr(self.model, "predict_proba"):
            return np.asarray(self.model.predict_proba(x))[:, 1].astype(float)
        return np.asarray(self.model.predict(x), dtype=float).ravel()

    def contributions(self, frame: pl.DataFrame, *, background: pl.DataFrame | None = None,
                      random_state: int = 0) -> tuple[np.ndarray, float]:
        """SHAP values (rows x features) and the base value, in the model's output space
        (log-odds for LightGBM/XGBoost classifiers)."""
        x = self._input(frame)
        if self.kind == "lightgbm":
            booster = getattr(self.model, "booster_", self.model)
            out = np.asarray(booster.predict(x, pred_contrib=True))
            return out[:, :-1], float(out[0, -1])
        if self.kind == "xgboost":
            import xgboost as xgb

            booster = self.model.get_booster() if hasattr(self.model, "get_booster") else self.model
            out = np.asarray(booster.predict(xgb.DMatrix(x, enable_categorical=True), pred_contribs=True))
            return out[:, :-1], float(out[0, -1])
        import shap

        if self.kind == "sklearn_tree":
            explainer = shap.TreeExplainer(self.model)
            values = explainer.shap_values(x)
            base = explainer.expected_value
        else:
            back = (background if background is not None else frame).sample(
                min(100, (background if background is not None else frame).height), seed=random_state)
            explainer = shap.Explainer(lambda a: self._call(a), self._input(back))
            explained = explainer(x)
            values, base = explained.values, explained.base_values
        values = np.asarray(values)
        if values.ndim == 3:           # one slice per class: keep the positive class
            values = values[:, :, -1]
        base = np.asarray(base, dtype=float).ravel()
        return values, float(base[-1] if base.size > 1 and self.classifier and values.ndim == 2 else base[0])

    def loss_contributions(self, frame: pl.DataFrame, target: np.ndarray, *, background: pl.DataFrame,
                           random_state: int = 0, n_background: int = 100) -> tuple[np.ndarray, str]:
        """Per-feature shares of each row's log-loss (which features made the model wrong),
        and the method: interventional TreeSHAP of the log-loss on ``n_background``
        background rows where shap supports the model; otherwise (shap 0.51 refuses trees
        with categorical splits) the first-order split ``(p - y) * SHAP`` of the prediction's
        log-odds attributions — the loss's gradient times each feature's push."""
        if not self.classifier:
            raise MlwatchError("explaining the loss needs a classifier (the log-loss); explain the prediction instead")
        y = np.asarray(target, dtype=float)
        if self.kind != "other":
            import shap

            back = background.sample(min(n_background, background.height), seed=random_state)
            try:
                explainer = shap.TreeExplainer(self.model, data=self._input(back),
                                               feature_perturbation="interventional", model_output="log_loss")
                values = np.asarray(explainer.shap_values(self._input(frame), y))
                return (values[:, :, -1] if values.ndim == 3 else values), "TreeSHAP of the log-loss"
            except (AttributeError, ValueError, TypeError, NotImplementedError):
                pass                # shap cannot explain this model's loss: the first-order split below
        phi, base = self.contributions(frame, background=background, random_state=random_state)
        p = self.predict(frame)
        return (p - y)[:, None] * phi, "(p - y) x SHAP of the log-odds"

    def _call(self, x):
        import pandas as pd

        frame = x if isinstance(x, pd.DataFrame) else pd.DataFrame(x, columns=self.features)
        if self.classifier and hasattr(self.model, "predict_proba"):
            return np.asarray(self.model.predict_proba(frame))[:, 1]
        return np.asarray(self.model.predict(frame)).ravel()


def as_scorer(model, *, features: Sequence[str] | None = None) -> Scorer:
    """Wrap ``model``; ``features`` default to the names the model was trained with."""
    names = _feature_names(model)
    if features is None:
        if names is None:
            raise MlwatchError("model: cannot tell which columns it takes; pass features=[...]")
        features = names
    module = type(model).__module__
    if module.startswith("lightgbm"):
        kind = "lightgbm"
        classifier = hasattr(model, "predict_proba") or _lgb_objective(model).startswith(("binary", "cross_entropy"))
    elif module.startswith("xgboost"):
        kind = "xgboost"
        classifier = hasattr(model, "predict_proba") or "logistic" in str(_xgb_objective(model))
    elif module.startswith("sklearn.ensemble") or module.startswith("sklearn.tree"):
        kind = "sklearn_tree"
        classifier = hasattr(model, "predict_proba")
    else:
        kind = "other"
        classifier = hasattr(model, "predict_proba")
    return Scorer(model, list(features), kind, bool(classifier))


def _feature_names(model) -> list[str] | None:
    for attribute in ("feature_names_in_", "feature_name_"):
        names = getattr(model, attribute, None)
        if names is not None:
            return list(names)
    if hasattr(model, "feature_name") and callable(model.feature_name):      # lightgbm.Booster
        return list(model.feature_name())
    if hasattr(model, "feature_names") and model.feature_names:             # xgboost.Booster
        return list(model.feature_names)
    return None


def _lgb_objective(model) -> str:
    booster = getattr(model, "booster_", model)
    return str(getattr(booster, "params", {}).get("objective", "")) or str(
        booster.dump_model().get("objective", "")) if hasattr(booster, "dump_model") else ""


def _xgb_objective(model):
    try:
        import json

        return json.loads(model.save_config())["learner"]["objective"]["name"]
    except (AttributeError, KeyError, ValueError):
        return ""
