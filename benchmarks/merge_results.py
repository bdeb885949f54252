"""Assemble benchmarks/RESULTS.md from the per-area tables in benchmarks/results/*.md.

Each benchmark script writes its own table (with the command that produced
it) to benchmarks/results/<area>.md; this script only concatenates them in a
fixed order so the committed RESULTS.md is the latest of each.

    python3 benchmarks/merge_results.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
ORDER = ("discharge", "origin", "duties", "datastage", "compulsa")


def main() -> None:
    parts = sorted(
        (HERE / "results").glob("*.md"),
        key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem),
    )
    text = [
        "# Benchmark results",
        "",
        "Latest run of each benchmark on the project's 2-core machine. Each section names the",
        "command that produced it; `python3 benchmarks/merge_results.py` rebuilds this file.",
        "",
    ]
    for path in parts:
        body = path.read_text(encoding="utf-8").strip()
        if body.startswith("# "):
            body = "## " + body[2:]
        text += [body.replace("\n# ", "\n## "), ""]
    (HERE / "RESULTS.md").write_text("\n".join(text), encoding="utf-8")


if __name__ == "__main__":
    main()
