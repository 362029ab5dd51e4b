"""Start-up of a command that needs no database: ``prepress analyze FILE`` as a whole process,
against the interpreter alone, side by side in one run.

    .venv/bin/python benchmarks/startup.py [--runs 5]

Three processes, interleaved round by round so they see the same machine load: ``python -c
pass`` (the floor), ``prepress analyze`` on one demo sample with a shop file, and the same
command with ``models.shop_settings`` imported first (the database code analyze loaded when
reading the configuration imported it). Printed: the median wall time of each and the ratios
to the floor. The temporary folder is gone at the end.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.samples import write_demo_samples  # noqa: E402

#: The smallest shop file the command accepts (it has [presses]: no database is asked).
SHOP_TOML = "[presses.Speedmaster]\nplate_mm = [1030, 770]\ngripper_mm = 10\n[outputters.Leonov]\n"
#: The CLI's entry point, as the installed ``prepress`` script calls it.
ANALYZE = "import sys; from commands.cli import main; sys.exit(main())"
#: The same with the database code loaded first.
ANALYZE_WITH_DATABASE = "import models.shop_settings; " + ANALYZE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds (the median is printed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        config = folder / "prepress.toml"
        config.write_text(SHOP_TOML, encoding="utf-8")
        config.chmod(0o600)
        sample = write_demo_samples(folder / "samples")[0]
        analyze = ["analyze", "--config", str(config), str(sample)]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "prepress analyze": [sys.executable, "-c", ANALYZE, *analyze],
            "analyze + database code": [sys.executable, "-c", ANALYZE_WITH_DATABASE, *analyze],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(wall_time(command, folder))
    report({name: statistics.median(values) for name, values in times.items()}, args.runs)


def wall_time(command: list[str], cwd: Path) -> float:
    """Seconds from start to exit of ``command``; it must succeed."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def report(medians: dict[str, float], runs: int) -> None:
    floor = medians["python -c pass"]
    print(f"median of {runs}, wall time")
    for name, seconds in medians.items():
        print(f"  {name:<26} {seconds * 1000:7.0f} ms  {seconds / floor:5.1f}x python -c pass")
    saved = medians["analyze + database code"] - medians["prepress analyze"]
    print(f"  database code not loaded: {saved * 1000:.0f} ms less")


if __name__ == "__main__":
    main()
