"""Remaining-life learner on NASA C-MAPSS, in process (no server): tuning by grouped CV.

Settings are chosen on the training engines only (grouped cross-validation over
engines); `--test` scores the test engines against their true remaining life once,
for the final figure. The API end-to-end run is bench/predictive_cmapss.py.

    python -m bench.predictive_cmapss_offline --data DIR [--sets FD001,FD003] [--test]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from iot.prediction.features import AssetHistory
from iot.prediction.learner import LearnerSettings, train

METRICS = [f"setting_{i}" for i in range(1, 4)] + [f"s{i}" for i in range(1, 22)]


def load(path: Path, *, failed: bool) -> list[AssetHistory]:
    raw = np.loadtxt(path)
    out = []
    for unit in np.unique(raw[:, 0]):
        rows = raw[raw[:, 0] == unit]
        days = rows[:, 1]
        out.append(
            AssetHistory(
                key=f"engine_{int(unit):03d}",
                days=days,
                values=rows[:, 2:],
                failures=np.array([days[-1]]) if failed else np.empty(0),
            )
        )
    return out


def nasa_score(err: np.ndarray) -> float:
    """Asymmetric score of the C-MAPSS challenge: late predictions cost more."""
    return float(np.sum(np.where(err < 0, np.exp(-err / 13) - 1, np.exp(err / 10) - 1)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--sets", default="FD001,FD003")
    parser.add_argument("--test", action="store_true")
    parser.add_argument("--set", action="append", default=[], help="LearnerSettings field=value")
    args = parser.parse_args()
    settings = LearnerSettings()
    for item in args.set:
        name, value = item.split("=", 1)
        current = getattr(settings, name)
        if isinstance(current, bool):
            parsed: object = value.lower() in ("1", "true", "yes")
        elif value.lower() == "none":
            parsed = None
        elif isinstance(current, int):
            parsed = int(value)
        else:
            parsed = float(value)
        settings = replace(settings, **{name: parsed})
    data = Path(args.data)
    results = {}
    for name in args.sets.split(","):
        fleet = load(data / f"train_{name}.txt", failed=True)
        started = time.monotonic()
        model = train(fleet, METRICS, settings)
        seconds = time.monotonic() - started
        row = {
            "cv_rmse": model.validation.rmse_days,
            "cv_mae": model.validation.mae_days,
            "train_seconds": round(seconds, 1),
            "samples": model.samples,
            "kept": [METRICS[i] for i in model.spec.kept],
            "regimes": model.spec.regimes,
        }
        if args.test:
            tests = load(data / f"test_{name}.txt", failed=False)
            truth = np.loadtxt(data / f"RUL_{name}.txt")
            predicted = np.array([model.predict_days(h) for h in tests], dtype=float)
            err = predicted - truth
            row["test_rmse"] = round(float(np.sqrt(np.mean(err**2))), 2)
            row["test_score"] = round(nasa_score(err), 1)
        results[name] = row
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
