"""Command line: ``python -m fashion_lab report --profile full``."""

from __future__ import annotations

import argparse
import logging
import sys

from fashion_lab.config import PROFILES, set_verbosity


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fashion_lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="run every notebook and write reports/index.html")
    report.add_argument("--profile", choices=sorted(PROFILES), default="full",
                        help="how much data and training to use (default: full)")
    report.add_argument("--out", default=None, help="output folder (default: reports/)")
    args = parser.parse_args(argv)

    set_verbosity(logging.INFO)
    from fashion_lab.data import ChecksumError, DatasetNotFoundError
    from fashion_lab.report import ReportError, build_report

    try:
        path = build_report(args.profile, out_dir=args.out)
    except (ChecksumError, DatasetNotFoundError, ReportError) as error:
        print(f"fashion_lab report failed: {error}", file=sys.stderr)
        return 1
    print(f"report written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
