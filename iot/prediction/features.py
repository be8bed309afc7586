"""Generic feature extraction for remaining-life prediction.

Nothing here knows a metric by name: an asset's history is a matrix of daily values
(one column per numeric metric, NaN where the metric has no reading that day), and a
`FeatureSpec` learnt from the training fleet decides which columns carry information,
whether the fleet runs in distinct operating regimes, and how each metric is
normalised. Features are then computed at any cut point of an asset's current life
(the readings since its last recorded failure) from the latest window of readings:
smoothed level, rolling mean, slope and spread, and the drift from the life's own
early baseline.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import lfilter

# Latest readings a window covers: long enough for a stable slope on noisy daily
# aggregates, short enough that a young asset soon has a full window.
WINDOW = 30
# Readings at the start of a life that define the asset's own baseline.
BASELINE_READINGS = 10
# Smoothing factor of the exponentially weighted level (span of about 9 readings).
EWM_ALPHA = 0.2
# A metric whose spread is below this share of its typical magnitude carries no signal.
RELATIVE_SPREAD_FLOOR = 1e-6
# A metric whose most common value covers this share of readings is treated as constant.
DOMINANT_VALUE_SHARE = 0.98
# Regimes: clusters must be this well separated (silhouette) to be believed.
REGIME_SILHOUETTE = 0.85
REGIME_MAX_CLUSTERS = 8
REGIME_SAMPLE = 4000
# Within-regime spread below this share of the total: the column is a setting.
REGIME_EXPLAINED = 1e-3


@dataclass
class AssetHistory:
    """One asset's readings as daily rows, with the days of its recorded failures.

    `days` are float days on any common origin (ascending), `values` has one column
    per metric of the fleet (NaN when the metric has no value that day).
    """

    key: str
    days: np.ndarray
    values: np.ndarray
    failures: np.ndarray = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        self.days = np.asarray(self.days, dtype=float)
        self.values = np.asarray(self.values, dtype=float)
        if self.values.ndim == 1:
            self.values = self.values.reshape(-1, 1)
        self.failures = np.sort(np.asarray(self.failures, dtype=float).ravel())
        if len(self.days) != len(self.values):
            raise ValueError("days and values must have the same number of rows")
        order = np.argsort(self.days, kind="stable")
        self.days = self.days[order]
        self.values = self.values[order]

    def lives(self) -> list[tuple[int, int, float | None]]:
        """Row ranges [start, stop) of each life and the day it ended in failure.

        A life ends at a recorded failure (readings on or before the failure day belong
        to it); the readings after the last failure form the open, censored life (end
        None). Lives without readings are dropped.
        """
        out: list[tuple[int, int, float | None]] = []
        start = 0
        for failure in self.failures:
            stop = int(np.searchsorted(self.days, failure, side="right"))
            if stop > start:
                out.append((start, stop, float(failure)))
            start = max(start, stop)
        if start < len(self.days):
            out.append((start, len(self.days), None))
        return out

    def current_life_start(self) -> int:
        """First row after the last recorded failure (where serving counts from)."""
        if not len(self.failures):
            return 0
        return int(np.searchsorted(self.days, self.failures[-1], side="right"))


def _fill_gaps(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Carry the last value forward (and the first one back) per column.

    Returns the filled matrix and a mask of cells that had seen a reading by then, so
    features of a metric are NaN until its first reading in the life.
    """
    n, m = values.shape
    filled = values.copy()
    seen = np.zeros((n, m), dtype=bool)
    if n == 0:
        return filled, seen
    valid = ~np.isnan(values)
    idx = np.where(valid, np.arange(n)[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    filled = values[idx, np.arange(m)[None, :]]
    seen = np.maximum.accumulate(valid, axis=0)
    # Before the first reading, backfill with the first value to keep sums finite.
    any_valid = valid.any(axis=0)
    first = np.where(any_valid, valid.argmax(axis=0), 0)
    first_values = values[first, np.arange(m)]
    filled = np.where(seen, filled, first_values[None, :])
    filled = np.where(any_valid[None, :], filled, 0.0)
    return filled, seen


def _rolling_sum(x: np.ndarray, window: int) -> np.ndarray:
    c = np.cumsum(np.vstack([np.zeros((1, *x.shape[1:])), x]), axis=0)
    upper = np.arange(1, len(x) + 1)
    lower = np.maximum(upper - window, 0)
    return c[upper] - c[lower]


def _ewm(x: np.ndarray, alpha: float) -> np.ndarray:
    if not len(x):
        return x
    zi = ((1 - alpha) * x[0])[None, :]
    out, _ = lfilter([alpha], [1, -(1 - alpha)], x, axis=0, zi=zi)
    return out


@dataclass
class FeatureSpec:
    """What the training fleet taught about its metrics, applied unchanged when serving."""

    metrics: list[str]
    kept: list[int]
    regime_columns: list[int] = field(default_factory=list)
    regime_centres: np.ndarray | None = None
    regime_scale: np.ndarray | None = None
    # Per regime and kept metric: mean and spread used to normalise.
    regime_mean: np.ndarray | None = None
    regime_std: np.ndarray | None = None
    window: int = WINDOW
    use_age: bool = True
    use_baseline: bool = True

    @property
    def regimes(self) -> int:
        return 0 if self.regime_centres is None else len(self.regime_centres)

    def feature_names(self) -> list[str]:
        names: list[str] = ["age_days", "readings"] if self.use_age else ["readings"]
        for i in self.kept:
            metric = self.metrics[i]
            names += [
                f"{metric}:level",
                f"{metric}:mean",
                f"{metric}:slope",
                f"{metric}:std",
            ]
            if self.use_baseline:
                names.append(f"{metric}:drift")
        return names

    def regime_of(self, values: np.ndarray) -> np.ndarray:
        """Regime index of each row (0 everywhere when the fleet has one regime)."""
        if self.regime_centres is None or not self.regime_columns:
            return np.zeros(len(values), dtype=int)
        x = values[:, self.regime_columns]
        x = np.where(np.isnan(x), self.regime_centres.mean(axis=0), x) / self.regime_scale
        centres = self.regime_centres / self.regime_scale
        dist = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        return dist.argmin(axis=1)

    def normalise(self, values: np.ndarray) -> np.ndarray:
        """Kept metrics as standard scores within their operating regime."""
        x = values[:, self.kept]
        if self.regime_mean is None or self.regime_std is None:
            return x
        regime = self.regime_of(values)
        return (x - self.regime_mean[regime]) / self.regime_std[regime]

    def transform(self, history: AssetHistory, start: int, stop: int) -> np.ndarray:
        """Features at every row of history[start:stop] (one life), from that life only."""
        values = history.values[start:stop]
        days = history.days[start:stop]
        n = len(days)
        if n == 0:
            return np.empty((0, len(self.feature_names())))
        x, seen = _fill_gaps(self.normalise(values))
        w = self.window
        count = np.minimum(np.arange(1, n + 1), w).astype(float)[:, None]
        t = (days - days[0])[:, None]
        s_x = _rolling_sum(x, w)
        s_xx = _rolling_sum(x * x, w)
        s_t = _rolling_sum(t, w)
        s_tt = _rolling_sum(t * t, w)
        s_tx = _rolling_sum(t * x, w)
        mean = s_x / count
        var = np.maximum(s_xx / count - mean**2, 0.0)
        t_var = s_tt / count - (s_t / count) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (s_tx / count - (s_t / count) * mean) / t_var
        slope = np.where(t_var > 1e-12, slope, 0.0)
        level = _ewm(x, EWM_ALPHA)
        columns = [level, mean, slope, np.sqrt(var)]
        if self.use_baseline:
            base_n = np.minimum(np.arange(1, n + 1), BASELINE_READINGS)
            base = (np.cumsum(x, axis=0) / np.arange(1, n + 1)[:, None])[base_n - 1]
            columns.append(level - base)
        block = np.stack(columns, axis=2)  # n, k, features per metric
        block = np.where(seen[:, :, None], block, np.nan).reshape(n, -1)
        readings = np.arange(1, n + 1, dtype=float)[:, None]
        head = [t, readings] if self.use_age else [readings]
        return np.hstack([*head, block])


def _is_informative(column: np.ndarray) -> bool:
    col = column[~np.isnan(column)]
    if len(col) < 2:
        return False
    spread = float(np.std(col))
    if spread <= RELATIVE_SPREAD_FLOOR * max(1.0, float(np.mean(np.abs(col)))):
        return False
    _, counts = np.unique(col, return_counts=True)
    return counts.max() / len(col) < DOMINANT_VALUE_SHARE


def _find_regimes(
    values: np.ndarray, candidates: list[int], seed: int
) -> tuple[list[int], np.ndarray, np.ndarray] | None:
    """Operating regimes, when the fleet's rows fall into well separated clusters.

    Columns that look like operating settings (few well separated levels each) are
    clustered with KMeans; only a clustering whose silhouette shows clear separation
    is kept, so a fleet running in one condition keeps a single regime.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    discrete = []
    for i in candidates:
        col = values[:, i]
        col = col[~np.isnan(col)]
        if len(col) < 20:
            continue
        # Setting-like: rounded to 2 significant figures of its range, few levels.
        span = float(np.ptp(col)) or 1.0
        levels = np.unique(np.round(col / span, 2))
        if len(levels) <= 25:
            discrete.append(i)
    if not discrete:
        return None
    rows = values[:, discrete]
    rows = rows[~np.isnan(rows).any(axis=1)]
    if len(rows) < 50:
        return None
    rng = np.random.default_rng(seed)
    if len(rows) > REGIME_SAMPLE:
        rows = rows[rng.choice(len(rows), REGIME_SAMPLE, replace=False)]
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    scaled = rows / scale
    best: tuple[float, np.ndarray] | None = None
    for k in range(2, REGIME_MAX_CLUSTERS + 1):
        if len(np.unique(scaled, axis=0)) < k:
            break
        km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(scaled)
        score = float(silhouette_score(scaled, km.labels_))
        if best is None or score > best[0]:
            best = (score, km.cluster_centers_ * scale)
    if best is None or best[0] < REGIME_SILHOUETTE:
        return None
    return discrete, best[1], scale


def _explained(column: np.ndarray, regime: np.ndarray) -> bool:
    ok = ~np.isnan(column)
    total = float(np.std(column[ok])) if ok.any() else 0.0
    if total == 0:
        return True
    within = np.sqrt(
        sum(
            float(np.var(column[ok & (regime == r)])) * int((ok & (regime == r)).sum())
            for r in np.unique(regime[ok])
        )
        / int(ok.sum())
    )
    return within < REGIME_EXPLAINED * total


def fit_feature_spec(
    histories: list[AssetHistory],
    metrics: list[str],
    *,
    window: int = WINDOW,
    use_age: bool = True,
    use_baseline: bool = True,
    seed: int = 0,
) -> FeatureSpec:
    """Learn from the training fleet which metrics to keep and how to normalise them."""
    if not histories:
        raise ValueError("no asset histories to learn features from")
    values = np.vstack([h.values for h in histories])
    all_columns = list(range(len(metrics)))
    informative = [i for i in all_columns if _is_informative(values[:, i])]
    spec = FeatureSpec(
        metrics=list(metrics),
        kept=informative,
        window=window,
        use_age=use_age,
        use_baseline=use_baseline,
    )
    regimes = _find_regimes(values, informative, seed)
    if regimes is not None:
        columns, centres, scale = regimes
        spec.regime_columns = columns
        spec.regime_centres = centres
        spec.regime_scale = scale
    regime = spec.regime_of(values)
    if regimes is not None:
        # A column the regimes explain almost entirely is the operating setting itself,
        # not a health signal.
        spec.kept = [i for i in informative if not _explained(values[:, i], regime)]
    x = values[:, spec.kept]
    count = max(spec.regimes, 1)
    mean = np.zeros((count, len(spec.kept)))
    std = np.ones((count, len(spec.kept)))
    for r in range(count):
        rows = x[regime == r]
        if len(rows):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean[r] = np.nan_to_num(np.nanmean(rows, axis=0))
                sd = np.nan_to_num(np.nanstd(rows, axis=0))
            std[r] = np.where(sd > 0, sd, 1.0)
    spec.regime_mean = mean
    spec.regime_std = std
    return spec
