"""Count the hostile-input and fault cases the test suite keeps, by family.

Every case in ``tests/hostile/`` is one collected pytest item (a parametrized case counts once
per parameter; a Hypothesis property counts once, however many examples it draws). The
families are the files; their module docstrings say in words what each promises.

    python scripts/hostile_cases.py          # a table: family, cases, first docstring line
    python scripts/hostile_cases.py --json   # the same as JSON
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDER = "tests/hostile"


def collected() -> Counter:
    """Collected test ids per file, from pytest's own collection (no test runs)."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", FOLDER],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    ids = [line for line in out.stdout.splitlines() if "::" in line]
    if out.returncode != 0 or not ids:
        raise SystemExit(f"pytest could not collect {FOLDER}:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return Counter(line.split("::", 1)[0] for line in ids)


def summary(path: Path) -> str:
    """The first line of a test file's module docstring."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    counts = collected()
    rows = [{"family": Path(f).stem.removeprefix("test_"), "file": f, "cases": n, "promise": summary(REPO / f)}
            for f, n in sorted(counts.items())]
    if args.json:
        print(json.dumps({"total": sum(counts.values()), "families": rows}, indent=2))
        return 0
    width = max(len(r["family"]) for r in rows)
    for r in rows:
        print(f"{r['family']:<{width}}  {r['cases']:>4}  {r['promise']}")
    print(f"{'total':<{width}}  {sum(counts.values()):>4}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
