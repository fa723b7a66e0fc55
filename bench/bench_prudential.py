"""The prudential engine, import and what-if on one core.

* engine: a generated portfolio (fixed seed; every class, ratings, CCF buckets, guarantees, cash
  collateral, SME factor, real estate split and IPRE, defaults) with own funds, other risks,
  requirements, leverage, LCR and NSFR: validation, calculation and every section of the result
  (ratios included), timed separately; rendering per-exposure results (contract JSON, canonical
  bytes) is timed on the first 100 000. Target: the whole calculation for 1 000 000 exposures in
  < 10 s. ``PRUDENTIAL_BENCH_EXPOSURES`` sets the size (default 1 000 000).
* import: a 100 000-row XLSX (written once with openpyxl) mapped, converted and validated. Targets:
  < 15 s and < 300 MB peak (tracemalloc peak of Python allocations, and the max RSS of a fresh
  interpreter that only imports the file: the bench process's own would count the engine part).
* what-if: a 100 000-exposure portfolio, base result given, two shocks. Target < 2 s.
"""

from __future__ import annotations

import gc
import io
import os
import random
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from bench.common import write
from shared.prudential.engine import calculate, compute, result_to_json
from shared.prudential.models import validate_input
from shared.prudential.numbers import canonical_json
from shared.prudential.portfolios.imports import parse
from shared.prudential.rules import load_rule_set
from shared.prudential.scenarios import what_if

SEED = 20251231
EXPOSURES = int(os.environ.get("PRUDENTIAL_BENCH_EXPOSURES", "1000000"))
IMPORT_ROWS = 100_000
WHAT_IF_EXPOSURES = 100_000
RENDERED = 100_000


def _amount(rng: random.Random) -> str:
    return f"{rng.randint(1_000, 5_000_000)}.{rng.randint(0, 99):02d}"


def _exposure(rng: random.Random, index: int) -> dict[str, Any]:
    roll = rng.random()
    e: dict[str, Any] = {"id": f"E{index:07d}", "amount": _amount(rng)}
    if roll < 0.30:
        e |= {"class": "retail", "retail_type": rng.choice(["regulatory", "regulatory", "transactor"])}
    elif roll < 0.55:
        e |= {"class": "corporate"}
        if rng.random() < 0.4:
            e["cqs"] = rng.randint(1, 6)
    elif roll < 0.75:
        e |= {"class": "real_estate", "property_type": rng.choice(["residential", "commercial"]),
              "property_value": _amount(rng), "counterparty": rng.choice(["retail", "natural_person"]),
              "ipre": rng.random() < 0.3}  # fmt: skip
    elif roll < 0.82:
        e |= {"class": "institution", **rng.choice([{"cqs": rng.randint(1, 6)}, {"scra_grade": rng.choice("ABC")}])}
    elif roll < 0.88:
        e |= {"class": "central_government", "cqs": rng.randint(1, 6)}
    elif roll < 0.92:
        e |= {"class": "covered_bond", "cqs": rng.randint(1, 6)}
    elif roll < 0.95:
        e |= {"class": "equity", "higher_risk": rng.random() < 0.2}
    else:
        e |= {"class": "other_items", "item_type": rng.choice(["cash", "gold", "other"])}
    cls = e["class"]
    if cls in ("retail", "corporate", "institution") and rng.random() < 0.15:
        e |= {"off_balance": _amount(rng), "ccf_bucket": rng.randint(1, 5)}
    elif cls == "corporate" and rng.random() < 0.1:
        e["guarantee"] = {"amount": "1000.00", "guarantor": {"class": "central_government", "cqs": 1}}
    elif cls == "retail" and rng.random() < 0.05:
        e["collateral"] = {"amount": "500.00", "currency": rng.choice(["EUR", "USD"])}
    if cls in ("retail", "corporate") and rng.random() < 0.1 and "guarantee" not in e:
        e |= {"sme_supporting_factor": True, "sme_total_owed": _amount(rng)}
    if cls in ("retail", "corporate") and rng.random() < 0.02 and "guarantee" not in e and "collateral" not in e:
        e |= {"defaulted": True, "scra": "100.00"}
    return e


def portfolio(count: int, seed: int = SEED) -> dict[str, Any]:
    rng = random.Random(seed)
    return {
        "id": f"bench-{count}",
        "reference_date": "2026-12-31",
        "exposures": [_exposure(rng, i) for i in range(count)],
        "own_funds": {"cet1_instruments": "900000000", "retained_earnings": "150000000", "goodwill": "20000000",
                      "at1_instruments": "100000000", "t2_instruments": "150000000"},
        "other_risks": {"business_indicator": "450000000", "market_rwa": "80000000", "cva_rwa": "5000000"},
        "requirements": {"p2r": "0.02", "ccyb": "0.01", "osii": "0.005", "distributable_profits": "60000000"},
        "leverage": {"on_balance": "30000000000", "derivatives": "100000000", "off_balance": {"3": "900000000"}},
        "lcr": {"assets": {"l1_securities": "3000000000", "l2a": "500000000"},
                "outflows": {"retail_stable": "10000000000", "financial_customers": "900000000"},
                "inflows": {"non_financial_customers": "700000000"}},
        "nsfr": {"asf": {"capital": "1300000000", "retail_stable": "10000000000"},
                 "rsf": {"residential_mortgages_rw35": "6000000000", "loans_rw_over_35": "5000000000"}},
    }  # fmt: skip


CPU: dict[str, float] = {}


def _timed(block: Callable[[], Any], name: str = "") -> tuple[float, Any]:
    """Wall seconds and the value; the process CPU seconds are kept in ``CPU[name]`` (on a shared
    machine the CPU time is the figure a dedicated core would show)."""
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    value = block()
    if name:
        CPU[name] = round(time.process_time() - cpu, 3)
    return time.perf_counter() - started, value


def bench_engine(rule_set: Any) -> dict[str, Any]:
    document = portfolio(EXPOSURES)
    rule_set.at(validate_input({"reference_date": "2026-12-31"}, rule_set).reference_date)
    validate_s, validated = _timed(lambda: validate_input(document, rule_set), "validate")
    calculate_s, result = _timed(lambda: calculate(validated, rule_set), "calculate")
    sections_s, sections = _timed(lambda: result_to_json(result._replace(exposures=())), "sections")
    # Rendering every exposure's result (parts and rule text) is output, not calculation: timed on
    # the first RENDERED exposures only (1 000 000 rendered results would need several GB here).
    rendered_n = min(EXPOSURES, RENDERED)
    sample = result._replace(exposures=result.exposures[:rendered_n])
    json_s, rendered = _timed(lambda: result_to_json(sample), "render")
    canonical_s, data = _timed(lambda: canonical_json(rendered), "canonical")
    return {
        "exposures": EXPOSURES,
        "validate_seconds": round(validate_s, 3),
        "calculate_seconds": round(calculate_s, 3),
        "sections_json_seconds": round(sections_s, 3),
        "whole_calculation_seconds": round(validate_s + calculate_s + sections_s, 3),
        "rendered_exposures": rendered_n,
        "render_exposures_json_seconds": round(json_s, 3),
        "render_canonical_json_seconds": round(canonical_s, 3),
        "rendered_bytes": len(data),
        "credit_rwa": sections["credit_risk"]["rwa"],
        "cet1_ratio": sections["capital"]["cet1_ratio"],
        "lcr_ratio": sections["lcr"]["ratio"],
        "cpu_seconds": {k: CPU[k] for k in ("validate", "calculate", "sections", "render", "canonical")},
        "whole_calculation_cpu_seconds": round(CPU["validate"] + CPU["calculate"] + CPU["sections"], 3),
        "target_seconds": 10,
    }


_COLUMNS = (
    ("Référence", "id"), ("Classe", "class"), ("Encours", "amount"), ("Devise", "currency"), ("Provisions", "scra"),
    ("Notation", "cqs"), ("Grade SCRA", "scra_grade"), ("Hors bilan", "off_balance"), ("CCF", "ccf_bucket"),
    ("Défaut", "defaulted"), ("Type retail", "retail_type"), ("Valeur du bien", "property_value"),
    ("Type de bien", "property_type"), ("Contrepartie", "counterparty"), ("IPRE", "ipre"),
    ("Risque élevé", "higher_risk"), ("Type élément", "item_type"), ("PME", "sme_supporting_factor"),
    ("Encours total PME", "sme_total_owed"),
)  # fmt: skip
_NUMBERS = frozenset({"amount", "scra", "off_balance", "property_value", "sme_total_owed"})


def _xlsx(rows: int) -> bytes:
    """The generated portfolio's exposures (without guarantees and collateral) as a bank would send
    them: French headers, numbers as numbers, flags as "oui"/"non"."""
    from openpyxl import Workbook

    rng = random.Random(SEED)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Encours")
    sheet.append([title for title, _ in _COLUMNS])
    for index in range(rows):
        e = _exposure(rng, index)
        row: list[Any] = []
        for _, name in _COLUMNS:
            value = e.get(name)
            if name in _NUMBERS and value is not None:
                value = float(value)
            elif isinstance(value, bool):
                value = "oui" if value else "non"
            row.append(value)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_child(path: str) -> None:
    """Run in a fresh interpreter by :func:`bench_import`: one import of the file, and this process's
    own peak RSS (the parent's would count the workbook's generation and the engine benchmark)."""
    import json

    with open(path, "rb") as handle:
        data = handle.read()
    seconds, parsed = _timed(lambda: parse(data, "bench.xlsx"), "import")
    # VmHWM: this process image's own peak RSS. ru_maxrss would report the parent's if higher (Linux
    # carries it over fork and exec).
    with open("/proc/self/status", encoding="ascii") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    figures = {"seconds": round(seconds, 3), "cpu_seconds": CPU["import"], "max_rss_mb": round(rss, 1),
               "errors": len(parsed.errors), "warnings": len(parsed.warnings)}  # fmt: skip
    print(json.dumps(figures))


def bench_import() -> dict[str, Any]:
    import json
    import subprocess
    import sys
    import tempfile

    data = _xlsx(IMPORT_ROWS)
    tracemalloc.start()
    traced_s, _ = _timed(lambda: parse(data, "bench.xlsx"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        handle.write(data)
        handle.flush()
        code = f"from bench.bench_prudential import import_child; import_child({handle.name!r})"
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    child = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "rows": IMPORT_ROWS,
        "file_bytes": len(data),
        "seconds": child["seconds"],
        "cpu_seconds": child["cpu_seconds"],
        "seconds_under_tracemalloc": round(traced_s, 3),
        "peak_traced_mb": round(peak / 1024 / 1024, 1),
        "process_max_rss_mb": child["max_rss_mb"],
        "rss_measured_in": "a fresh interpreter that only reads the file and imports it",
        "errors": child["errors"],
        "warnings": child["warnings"],
        "target_seconds": 15,
        "target_peak_mb": 300,
    }


def bench_what_if(rule_set: Any) -> dict[str, Any]:
    document = portfolio(WHAT_IF_EXPOSURES, seed=SEED + 1)
    base = compute(document, rule_set)
    shocks = [{"type": "downgrade", "notches": 1, "class": "corporate"},
              {"type": "scale_property_values", "factor": "0.8"}]  # fmt: skip
    seconds, result = _timed(lambda: what_if(document, shocks, rule_set, base=base), "what_if")
    lendable = [e["id"] for e in document["exposures"] if e["class"] in ("corporate", "retail")]
    targeted = [{"type": "default", "ids": lendable[:1000]},
                {"type": "set", "path": "own_funds.cet1_instruments", "value": "800000000"}]  # fmt: skip
    targeted_s, targeted_result = _timed(lambda: what_if(document, targeted, rule_set, base=base), "what_if_targeted")
    return {
        "exposures": WHAT_IF_EXPOSURES,
        "targeted_shocks_seconds": round(targeted_s, 3),
        "targeted_shocks_cpu_seconds": CPU["what_if_targeted"],
        "targeted_changed_exposures": WHAT_IF_EXPOSURES - targeted_result["unchanged_exposures"],
        "broad_shocks": "downgrade every rated corporate 1 notch, property values × 0.8",
        "seconds": round(seconds, 3),
        "cpu_seconds": CPU["what_if"],
        "changed_exposures": WHAT_IF_EXPOSURES - result["unchanged_exposures"],
        "credit_rwa_delta": result["figures"]["credit_risk"]["rwa"]["delta"],
        "target_seconds": 2,
    }


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rule_set = load_rule_set("CRR3-2025.1")
    parts = os.environ.get("PRUDENTIAL_BENCH_PARTS", "engine,import,what_if").split(",")
    # 7 people share 2 cores: the load average says how far the figures are from a quiet machine's.
    figures: dict[str, Any] = {"seed": SEED, "rule_set": rule_set.code, "load_average_at_start": os.getloadavg()}
    if "engine" in parts:
        figures["engine"] = bench_engine(rule_set)
    if "import" in parts:
        figures["import"] = bench_import()
    if "what_if" in parts:
        figures["what_if"] = bench_what_if(rule_set)
    figures["load_average_at_end"] = os.getloadavg()
    write(os.environ.get("PRUDENTIAL_BENCH_NAME", "prudential"), figures)


if __name__ == "__main__":
    main()
