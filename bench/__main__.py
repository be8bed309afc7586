import importlib
import pkgutil
import sys
from pathlib import Path

from bench import configure, report

# Helpers, and scripts with their own command line (a running server, a data set).
STANDALONE = {"tenancy", "predictive_cmapss", "predictive_cmapss_offline"}


def available() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not info.name.startswith("_") and info.name not in STANDALONE
    )


def main(names: list[str]) -> int:
    unknown = set(names) - set(available())
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {', '.join(available())}")
        return 2
    configure()
    for name in names or available():
        module = importlib.import_module(f"bench.{name}")
        report(module.TITLE, module.run())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
