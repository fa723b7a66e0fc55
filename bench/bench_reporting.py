"""COREP reporting for a large calculation: templates, validation rules and all four report packages.

The portfolio is the prudential benchmark's (fixed seed, every class, CRM, SME factor, real estate
split and IPRE, defaults; reference date 2026-12-31, framework 4.2). The calculation itself (input
validation + engine) is timed apart; the target — templates (C 07.00 aggregated exposure by
exposure, with drill-down selections), the validation rules and the four xBRL-CSV packages — is
< 20 s for 1 000 000 exposures on the 2-core machine. ``REPORTING_BENCH_EXPOSURES`` sets the size
(default 1 000 000). CPU seconds are recorded beside wall seconds (the machine is shared).
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench.bench_prudential import CPU, _timed, portfolio
from bench.common import write
from shared.prudential.engine import calculate
from shared.prudential.models import validate_input
from shared.prudential.rules import load_rule_set
from shared.reporting.checks import structure_findings
from shared.reporting.package import write_package
from shared.reporting.templates import build
from shared.reporting.validation import errors, evaluate

EXPOSURES = int(os.environ.get("REPORTING_BENCH_EXPOSURES", "1000000"))
LEI = "529900T8BM49AURSDO55"
TARGET_SECONDS = 20.0


def main() -> None:
    rule_set = load_rule_set("CRR3-2025.1")
    document = portfolio(EXPOSURES)
    load_avg = os.getloadavg()
    t_calc, (inp, result) = _timed(lambda: (lambda i: (i, calculate(i, rule_set)))(validate_input(document, rule_set)),
                                   "calculation")  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    t_build, reports = _timed(lambda: build(inp, result, rule_set, "CON"), "templates")
    t_rules, findings = _timed(lambda: {code: evaluate(r) for code, r in reports.items()}, "validation")
    t_pack, packages = _timed(lambda: [write_package(r, LEI, "FR") for r in reports.values()], "packages")
    total = time.perf_counter() - started
    total_cpu = time.process_time() - cpu
    t_check, problems = _timed(lambda: [structure_findings(p.content, p.name) for p in packages], "structure_check")
    figures: dict[str, Any] = {
        "exposures": EXPOSURES,
        "calculation_seconds": round(t_calc, 3),
        "templates_seconds": round(t_build, 3),
        "validation_seconds": round(t_rules, 3),
        "packages_seconds": round(t_pack, 3),
        "reporting_total_seconds": round(total, 3),
        "reporting_total_cpu_seconds": round(total_cpu, 3),
        "structure_check_seconds": round(t_check, 3),
        "cpu_seconds": dict(CPU),
        "target_seconds": TARGET_SECONDS,
        "met": total < TARGET_SECONDS,
        "cells": {code: len(r.cells) for code, r in reports.items()},
        "rules_evaluated": {code: len(f) for code, f in findings.items()},
        "error_rules_failed": sum(len(errors(f)) for f in findings.values()),
        "package_bytes": {p.name: len(p.content) for p in packages},
        "structure_problems": sum(len(p) for p in problems),
        "load_average_at_start": [round(x, 2) for x in load_avg],
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    print(figures)
    write(os.environ.get("REPORTING_BENCH_NAME", "reporting"), figures)


if __name__ == "__main__":
    main()
