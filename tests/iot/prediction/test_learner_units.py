"""The remaining-life learner on hand-made series: features, labels, censoring, bytes."""

import numpy as np
import pytest

from iot.prediction.features import AssetHistory, fit_feature_spec
from iot.prediction.learner import (
    CorruptModel,
    InsufficientData,
    LearnerSettings,
    build_training_set,
    dumps,
    history_from_rows,
    life_labels,
    loads,
    train,
)

KEY = b"test-signing-key"


def _spec(histories, metrics, **kw):
    return fit_feature_spec(histories, metrics, **kw)


def test_windowed_features_of_a_straight_line():
    # Given a metric rising 2 per day and one with readings only from day 5
    days = np.arange(10, dtype=float)
    rising = 10 + 2 * days
    late = np.where(days >= 5, 7.0 + days, np.nan)
    history = AssetHistory("a", days, np.column_stack([rising, late]))
    spec = _spec([history], ["temp", "load"], window=4)
    # Without regimes the spec normalises to standard scores over the fleet.
    spec.regime_mean = None
    spec.regime_std = None
    # When features are taken at every row
    feats = spec.transform(history, 0, 10)
    names = spec.feature_names()
    col = {n: feats[:, names.index(n)] for n in names}
    # Then the window mean, slope and spread are those of the last 4 readings
    assert col["age_days"][-1] == 9
    assert col["readings"][-1] == 10
    assert col["temp:mean"][-1] == pytest.approx(np.mean(rising[-4:]))
    assert col["temp:slope"][-1] == pytest.approx(2.0)
    assert col["temp:std"][-1] == pytest.approx(np.std(rising[-4:]))
    assert col["temp:slope"][0] == 0.0  # one reading has no slope
    # and the drift is the smoothed level against the first readings' baseline
    assert col["temp:drift"][-1] > 0
    # and a metric is NaN until its first reading, then has a slope of 1
    assert np.isnan(col["load:mean"][:5]).all()
    assert col["load:slope"][-1] == pytest.approx(1.0)


def test_constant_metrics_are_dropped_and_missing_metrics_are_nan():
    days = np.arange(50, dtype=float)
    rng = np.random.default_rng(1)
    values = np.column_stack([np.full(50, 100.0), rng.normal(size=50), np.full(50, np.nan)])
    history = AssetHistory("a", days, values)
    spec = _spec([history], ["flat", "noisy", "absent"])
    assert [spec.metrics[i] for i in spec.kept] == ["noisy"]
    # A serving asset without the kept metric gets NaN features, not a crash.
    other = AssetHistory("b", days[:5], np.full((5, 3), np.nan))
    assert np.isnan(spec.transform(other, 0, 5)[:, 2:]).all()


def test_operating_regimes_are_found_without_names_and_normalised_away():
    # Given a fleet switching between three well separated operating points
    rng = np.random.default_rng(0)
    n = 600
    regime = rng.integers(0, 3, size=n)
    setting = np.array([0.0, 20.0, 42.0])[regime] + rng.normal(0, 0.001, n)
    signal = np.array([100.0, 300.0, 500.0])[regime] + rng.normal(0, 1, n)
    history = AssetHistory("a", np.arange(n, dtype=float), np.column_stack([setting, signal]))
    spec = _spec([history], ["knob", "reading"])
    # Then the regimes are detected and the setting is not a feature
    assert spec.regimes == 3
    assert [spec.metrics[i] for i in spec.kept] == ["reading"]
    normalised = spec.normalise(history.values)[:, 0]
    assert abs(normalised.mean()) < 0.1
    assert normalised.std() == pytest.approx(1.0, abs=0.1)


def test_single_condition_fleet_has_no_regimes():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(400, 2))
    history = AssetHistory("a", np.arange(400, dtype=float), values)
    assert _spec([history], ["x", "y"]).regimes == 0


def test_labels_are_days_to_the_next_failure_capped():
    keep, label, truth = life_labels(np.array([0.0, 50.0, 90.0, 100.0]), 100.0, 100.0, cap=60)
    assert keep.all()
    assert list(truth) == [100, 50, 10, 0]
    assert list(label) == [60, 50, 10, 0]


def test_censored_life_keeps_only_points_whose_capped_label_is_known():
    # An asset observed until day 100 without a failure: remaining life > 100 - day.
    days = np.array([0.0, 30.0, 40.0, 41.0, 99.0])
    keep, label, truth = life_labels(days, None, 100.0, cap=60)
    assert list(keep) == [True, True, True, False, False]
    assert list(label[keep]) == [60, 60, 60]
    assert np.isnan(truth).all()
    keep, _, _ = life_labels(days, None, 100.0, cap=None)
    assert not keep.any()
    keep, _, _ = life_labels(days, None, 100.0, cap=60, censored=False)
    assert not keep.any()


def test_lives_split_at_failures_and_features_restart_after_one():
    days = np.arange(20, dtype=float)
    values = np.arange(20, dtype=float).reshape(-1, 1)
    history = AssetHistory("a", days, values, failures=np.array([9.0, 30.0]))
    assert history.lives() == [(0, 10, 9.0), (10, 20, 30.0)]
    assert history.current_life_start() == 20  # after the last failure: no readings yet
    open_life = AssetHistory("b", days, values, failures=np.array([9.0]))
    assert open_life.lives() == [(0, 10, 9.0), (10, 20, None)]
    spec = _spec([history], ["m"])
    data = build_training_set([history], spec, LearnerSettings(cap=None, min_readings=1))
    # Both lives labelled from their own failure: 9..0 and 20..11 days to go.
    assert list(data.labels) == [*range(9, -1, -1), *range(20, 10, -1)]
    assert data.failures == 2
    assert data.failed_assets == 1


def _degrading_fleet(count, seed=0, length=(60, 120)):
    rng = np.random.default_rng(seed)
    fleet = []
    for i in range(count):
        life = int(rng.integers(*length))
        days = np.arange(life, dtype=float)
        wear = np.exp((days - life) / 15.0)
        temp = 60 + 25 * wear + rng.normal(0, 0.5, life)
        vib = 2 + 3 * wear + rng.normal(0, 0.1, life)
        fleet.append(AssetHistory(f"a{i}", days, np.column_stack([temp, vib]), failures=[days[-1]]))
    return fleet


def test_too_few_failed_assets_is_refused_with_a_reason():
    fleet = _degrading_fleet(2)
    fleet.append(
        AssetHistory("healthy", np.arange(50.0), np.random.default_rng(0).normal(size=(50, 2)))
    )
    with pytest.raises(InsufficientData, match="at least 3"):
        train(fleet, ["temp", "vibration"])


def test_a_degrading_fleet_is_learnt_and_the_bytes_round_trip():
    fleet = _degrading_fleet(24)
    settings = LearnerSettings(cap=40, folds=3, max_iter=80, min_samples_leaf=20)
    model = train(fleet, ["temp", "vibration"], settings)
    assert model.failures == 24
    assert model.validation.folds == 3
    assert model.validation.rmse_days is not None
    assert model.validation.rmse_days < 8
    # An unseen asset 10 days before its failure
    probe = _degrading_fleet(1, seed=99, length=(90, 91))[0]
    cut = AssetHistory("p", probe.days[:-10], probe.values[:-10])
    predicted = loads(dumps(model, KEY), KEY).predict_days(cut)
    assert predicted == pytest.approx(10, abs=6)
    # No readings: no prediction
    assert model.predict_days(AssetHistory("e", np.empty(0), np.empty((0, 2)))) is None


def test_corrupt_or_foreign_model_bytes_are_refused_not_loaded():
    model = train(_degrading_fleet(6), ["t", "v"], LearnerSettings(folds=2, max_iter=10))
    blob = dumps(model, KEY)
    with pytest.raises(CorruptModel, match="signature"):
        loads(blob, b"another-key")
    tampered = bytearray(blob)
    tampered[-5] ^= 0xFF
    with pytest.raises(CorruptModel):
        loads(bytes(tampered), KEY)
    with pytest.raises(CorruptModel, match="missing"):
        loads(None, KEY)
    with pytest.raises(CorruptModel):
        loads(b"garbage", KEY)


def test_history_from_rows_ignores_unknown_metrics():
    rows = [(2.0, "temp", 5.0), (1.0, "temp", 4.0), (1.0, "other", 9.0), (2.0, "vib", 1.0)]
    h = history_from_rows("a", rows, ["temp", "vib"], failures=[3.0])
    assert list(h.days) == [1.0, 2.0]
    assert np.isnan(h.values[0, 1])
    assert list(h.values[1]) == [5.0, 1.0]
