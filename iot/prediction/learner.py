"""Remaining-life learner: run-to-failure examples in, a validated regressor out.

Every life that ended in a recorded failure is an example: at each of its daily rows
(a cut point) the label is the days left to that failure, capped at `cap` because far
from failure a healthy asset looks like any other and an uncapped target only teaches
noise. Lives that have not failed yet (an asset without failures, or the readings after
an asset's last failure) are right-censored: a cut point whose observed failure-free
future is already at least `cap` days has the exact capped label `cap`, so those cut
points are kept; the others (whose label is unknown) are left out.

The regressor is scikit-learn's HistGradientBoostingRegressor: it handles missing
metrics (NaN) natively, needs no scaling, trains on tens of thousands of rows in
seconds on two cores, and comes with the library we already use for clustering and
grouped cross-validation, so there is no second native dependency to maintain.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import math
import time
import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import joblib
import numpy as np
from threadpoolctl import threadpool_limits

from .features import AssetHistory, FeatureSpec, fit_feature_spec

MIN_FAILED_ASSETS = 3
FORMAT_VERSION = 1
_MAGIC = b"CMMS-RUL1"


class PredictionError(Exception):
    """A model cannot be trained or used; the message says why, for the user."""


class InsufficientData(PredictionError):
    pass


class CorruptModel(PredictionError):
    pass


@dataclass
class LearnerSettings:
    """Choices made by grouped cross-validation on run-to-failure fleets."""

    cap: float | None = 130.0
    window: int = 50
    use_age: bool = True
    use_baseline: bool = True
    # Cut points need this many readings in the life: a prediction from two readings
    # would teach the model nothing but the age.
    min_readings: int = 5
    censored: bool = True
    folds: int = 5
    max_iter: int = 300
    learning_rate: float = 0.05
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 80
    l2_regularization: float = 1.0
    max_features: float = 0.5
    # Metrics whose windowed mean correlates less than this with the label are noise.
    min_relevance: float = 0.1
    # One thread: OpenMP threads spin, and on a busy two-core host two of them run
    # many times slower than one.
    threads: int = 1
    # Cut points fitted at most (a seeded sample): neighbouring days of one life say
    # nearly the same thing, and the fitting time grows with the rows.
    max_samples: int | None = 8_000
    # Held-out errors are counted up to this true remaining life (None: 1.2 x cap).
    horizon: float | None = None
    seed: int = 0

    def regressor(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(
            loss="squared_error",
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            max_features=self.max_features,
            early_stopping=False,
            random_state=self.seed,
        )


def life_labels(
    days: np.ndarray,
    failure_day: float | None,
    observed_end: float,
    cap: float | None,
    *,
    censored: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels of one life's cut points: (kept mask, capped label, true days to failure).

    A failed life labels every cut point with min(days to failure, cap). A censored
    life (failure_day None) keeps only cut points at least `cap` days before the end
    of observation, labelled `cap`; their true remaining life is unknown (NaN).
    """
    days = np.asarray(days, dtype=float)
    if failure_day is not None:
        truth = failure_day - days
        label = truth if cap is None else np.minimum(truth, cap)
        return np.ones(len(days), dtype=bool), label, truth
    truth = np.full(len(days), np.nan)
    if cap is None or not censored:
        return np.zeros(len(days), dtype=bool), np.full(len(days), np.nan), truth
    keep = (observed_end - days) >= cap
    return keep, np.where(keep, cap, np.nan), truth


@dataclass
class TrainingSet:
    features: np.ndarray
    labels: np.ndarray
    truth: np.ndarray
    groups: np.ndarray
    assets: int
    failed_assets: int
    failures: int


def build_training_set(
    histories: list[AssetHistory], spec: FeatureSpec, settings: LearnerSettings
) -> TrainingSet:
    """Cut points of every life, with features from that life's readings only."""
    blocks: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    truths: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    failed_assets = 0
    failures = 0
    used_assets = 0
    for group, history in enumerate(histories):
        used = False
        failed = False
        for start, stop, failure in history.lives():
            days = history.days[start:stop]
            keep, label, truth = life_labels(
                days,
                failure,
                float(history.days[-1]),
                settings.cap,
                censored=settings.censored,
            )
            keep[: max(settings.min_readings - 1, 0)] = False
            if not keep.any():
                continue
            feats = spec.transform(history, start, stop)
            blocks.append(feats[keep])
            labels.append(label[keep])
            truths.append(truth[keep])
            groups.append(np.full(int(keep.sum()), group))
            used = True
            if failure is not None:
                failed = True
                failures += 1
        used_assets += used
        failed_assets += failed
    if not blocks:
        width = len(spec.feature_names())
        return TrainingSet(np.empty((0, width)), np.empty(0), np.empty(0), np.empty(0), 0, 0, 0)
    return TrainingSet(
        features=np.vstack(blocks),
        labels=np.concatenate(labels),
        truth=np.concatenate(truths),
        groups=np.concatenate(groups),
        assets=used_assets,
        failed_assets=failed_assets,
        failures=failures,
    )


@dataclass
class Validation:
    rmse_days: float | None
    mae_days: float | None
    folds: int
    # Held-out cut points counted (failed lives, true remaining life within the horizon).
    points: int = 0
    horizon_days: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _horizon(cap: float | None) -> float | None:
    # Errors are counted where an answer is expected to be exact-ish: up to a little
    # past the cap, against the true (uncapped) days to failure.
    return None if cap is None else 1.2 * cap


def cross_validate(data: TrainingSet, settings: LearnerSettings) -> Validation:
    """Grouped K-fold over assets: no asset is ever in its own validation fold."""
    from sklearn.model_selection import GroupKFold

    unique = np.unique(data.groups)
    folds = min(settings.folds, len(unique))
    if folds < 2:
        return Validation(None, None, 0)
    horizon = settings.horizon if settings.horizon is not None else _horizon(settings.cap)
    errors: list[np.ndarray] = []
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=settings.seed)
    for train_idx, test_idx in splitter.split(data.features, data.labels, data.groups):
        fit_idx = _sample(train_idx, settings)
        model = settings.regressor().fit(data.features[fit_idx], data.labels[fit_idx])
        truth = data.truth[test_idx]
        scored = ~np.isnan(truth)
        if horizon is not None:
            scored &= truth <= horizon
        if not scored.any():
            continue
        predicted = _clip(model.predict(data.features[test_idx][scored]), settings.cap)
        errors.append(predicted - truth[scored])
    if not errors:
        return Validation(None, None, folds, 0, horizon)
    err = np.concatenate(errors)
    return Validation(
        rmse_days=round(float(np.sqrt(np.mean(err**2))), 3),
        mae_days=round(float(np.mean(np.abs(err))), 3),
        folds=folds,
        points=len(err),
        horizon_days=horizon,
    )


def _sample(rows: np.ndarray, settings: LearnerSettings) -> np.ndarray:
    if settings.max_samples is None or len(rows) <= settings.max_samples:
        return rows
    rng = np.random.default_rng(settings.seed)
    return np.sort(rng.choice(rows, settings.max_samples, replace=False))


def _clip(predicted: np.ndarray, cap: float | None) -> np.ndarray:
    return np.clip(predicted, 0.0, cap if cap is not None else np.inf)


@dataclass
class TrainedModel:
    """A fitted spec and regressor with the figures that describe them."""

    spec: FeatureSpec
    regressor: Any
    settings: LearnerSettings
    validation: Validation
    assets: int
    failures: int
    samples: int
    train_seconds: float = 0.0
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        return self.spec.metrics

    def predict_days(self, history: AssetHistory) -> float | None:
        """Days from the latest reading to the predicted failure, or None without readings."""
        start = history.current_life_start()
        stop = len(history.days)
        if stop <= start:
            return None
        if np.isnan(history.values[start:stop][:, self.spec.kept]).all():
            return None
        row = self.spec.transform(history, start, stop)[-1:]
        with threadpool_limits(limits=self.settings.threads):
            value = float(_clip(self.regressor.predict(row), self.settings.cap)[0])
        return value if math.isfinite(value) else None


def _load_native() -> None:
    """Load scikit-learn's native parts now: thread limits only reach libraries already
    loaded, and the first training of a process would otherwise run unlimited."""
    import sklearn.cluster
    import sklearn.ensemble
    import sklearn.metrics
    import sklearn.model_selection  # noqa: F401


def _relevant_metrics(data: TrainingSet, spec: FeatureSpec, floor: float) -> list[int]:
    """Kept metrics whose windowed mean moves with the remaining life."""
    names = spec.feature_names()
    labels = data.labels
    kept = []
    for i in spec.kept:
        column = data.features[:, names.index(f"{spec.metrics[i]}:mean")]
        ok = ~np.isnan(column)
        if ok.sum() < 10 or np.std(column[ok]) == 0:
            continue
        corr = abs(float(np.corrcoef(column[ok], labels[ok])[0, 1]))
        if corr >= floor:
            kept.append(i)
    return kept


def _with_kept(spec: FeatureSpec, kept: list[int]) -> FeatureSpec:
    index = [spec.kept.index(i) for i in kept]
    return replace(
        spec,
        kept=kept,
        regime_mean=None if spec.regime_mean is None else spec.regime_mean[:, index],
        regime_std=None if spec.regime_std is None else spec.regime_std[:, index],
    )


def train(
    histories: list[AssetHistory],
    metrics: list[str],
    settings: LearnerSettings | None = None,
    *,
    validate: bool = True,
) -> TrainedModel:
    """Fit a remaining-life model on a fleet; raise InsufficientData when it cannot."""
    settings = settings or LearnerSettings()
    _load_native()
    with threadpool_limits(limits=settings.threads):
        return _train(histories, metrics, settings, validate=validate)


def _train(
    histories: list[AssetHistory],
    metrics: list[str],
    settings: LearnerSettings,
    *,
    validate: bool,
) -> TrainedModel:
    started = time.monotonic()
    failed = [h for h in histories if any(f is not None for _, _, f in h.lives())]
    if len(failed) < MIN_FAILED_ASSETS:
        raise InsufficientData(
            f"Too little data: {len(failed)} asset(s) have a recorded failure with readings "
            f"before it; at least {MIN_FAILED_ASSETS} are needed."
        )
    if not metrics:
        raise InsufficientData("Too little data: the assets have no numeric readings.")
    spec = fit_feature_spec(
        histories,
        metrics,
        window=settings.window,
        use_age=settings.use_age,
        use_baseline=settings.use_baseline,
        seed=settings.seed,
    )
    if not spec.kept:
        raise InsufficientData("Too little data: no metric varies across the readings.")
    data = build_training_set(histories, spec, settings)
    if settings.min_relevance > 0 and len(data.labels):
        relevant = _relevant_metrics(data, spec, settings.min_relevance)
        if relevant and relevant != spec.kept:
            spec = _with_kept(spec, relevant)
            data = build_training_set(histories, spec, settings)
    if data.failed_assets < MIN_FAILED_ASSETS:
        raise InsufficientData(
            f"Too little data: {data.failed_assets} asset(s) have enough readings before a "
            f"recorded failure; at least {MIN_FAILED_ASSETS} are needed."
        )
    validation = cross_validate(data, settings) if validate else Validation(None, None, 0)
    fit_idx = _sample(np.arange(len(data.labels)), settings)
    regressor = settings.regressor().fit(data.features[fit_idx], data.labels[fit_idx])
    return TrainedModel(
        spec=spec,
        regressor=regressor,
        settings=settings,
        validation=validation,
        assets=data.assets,
        failures=data.failures,
        samples=len(data.labels),
        train_seconds=round(time.monotonic() - started, 2),
    )


def history_from_rows(
    key: str,
    rows: Iterable[tuple[float, str, float]],
    metrics: list[str],
    failures: Iterable[float] = (),
) -> AssetHistory:
    """An AssetHistory from (day, metric, value) rows; unknown metrics are ignored."""
    column = {name: i for i, name in enumerate(metrics)}
    by_day: dict[float, np.ndarray] = {}
    for day, metric, value in rows:
        i = column.get(metric)
        if i is None:
            continue
        row = by_day.get(day)
        if row is None:
            row = by_day[day] = np.full(len(metrics), np.nan)
        row[i] = value
    days = sorted(by_day)
    values = np.array([by_day[d] for d in days]) if days else np.empty((0, len(metrics)))
    return AssetHistory(
        key=key, days=np.array(days, dtype=float), values=values, failures=np.array(list(failures))
    )


def dumps(model: TrainedModel, key: bytes) -> bytes:
    """Model bytes: a signature over the compressed pickle, checked before loading."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    body = zlib.compress(buffer.getvalue(), 6)
    signature = hmac.new(key, body, hashlib.sha256).digest()
    return _MAGIC + signature + body


def loads(blob: bytes | memoryview | None, key: bytes) -> TrainedModel:
    """The model back from its bytes; CorruptModel unless they are exactly what we wrote.

    The signature is checked before unpickling, so bytes altered outside the product
    are refused rather than executed.
    """
    if blob is None:
        raise CorruptModel("The model file is missing.")
    blob = bytes(blob)
    head = len(_MAGIC)
    if len(blob) < head + 32 or not blob.startswith(_MAGIC):
        raise CorruptModel("The model file is not a model this version can read.")
    signature, body = blob[head : head + 32], blob[head + 32 :]
    expected = hmac.new(key, body, hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise CorruptModel("The model file is corrupt (signature mismatch).")
    try:
        model = joblib.load(io.BytesIO(zlib.decompress(body)))
    except Exception as exc:  # any failure to read trusted bytes means a broken file
        raise CorruptModel(f"The model file cannot be read: {type(exc).__name__}.") from exc
    if not isinstance(model, TrainedModel) or model.format_version != FORMAT_VERSION:
        raise CorruptModel("The model file holds no model of this version.")
    return model
