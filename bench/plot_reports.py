"""Draw the report times of ``bench_reports.py --json`` runs at several sizes as a PNG.

    python bench/bench_reports.py --purchases 100000 --json bench/out/reports-100000.json
    python bench/bench_reports.py --purchases 1000000 --json bench/out/reports-1000000.json
    python bench/plot_reports.py bench/out/reports-*.json -o docs/performance-reports.png

One panel per backend: milliseconds (log scale) against purchases (log scale), a solid line
per report for crpm_core and a dashed one for the hand-written SQL on the raw rows.
Needs matplotlib (``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def load(paths: list[Path]) -> dict[str, dict[str, dict[int, tuple[float, float]]]]:
    """backend -> report -> purchases -> (library ms, hand SQL ms)."""
    data: dict[str, dict[str, dict[int, tuple[float, float]]]] = {}
    for path in paths:
        match = re.search(r"(\d+)", path.stem)
        if match is None:
            raise SystemExit(f"{path}: the file name must hold the number of purchases")
        size = int(match.group(1))
        results: dict[str, Any] = json.loads(path.read_text())
        for backend, result in results.items():
            for row in result["rows"]:
                data.setdefault(backend, {}).setdefault(row["report"], {})[size] = (
                    row["library_ms"],
                    row["sql_ms"],
                )
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, default=Path("docs/performance-reports.png"))
    args = parser.parse_args()
    data = load(args.files)
    backends = sorted(data)
    fig, axes = plt.subplots(1, len(backends), figsize=(6.5 * len(backends), 5), squeeze=False)
    for ax, backend in zip(axes[0], backends, strict=True):
        for i, (report, sizes) in enumerate(sorted(data[backend].items())):
            xs = sorted(sizes)
            color = f"C{i % 10}"
            ax.plot(xs, [sizes[x][0] for x in xs], "o-", color=color, label=report)
            ax.plot(xs, [sizes[x][1] for x in xs], "x--", color=color, alpha=0.6)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.axhline(100, color="grey", linewidth=0.8, linestyle=":")
        ax.set_title(f"{backend}: crpm_core (solid) vs hand SQL on raw rows (dashed)")
        ax.set_xlabel("purchases")
        ax.set_ylabel("ms (median)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
