import importlib
import sys

from bench import configure, report

BENCHMARKS = ["provisioning"]


def main(names: list[str]) -> int:
    configure()
    for name in names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        report(module.TITLE, module.run())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
