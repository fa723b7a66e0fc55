"""Validation rules as data (``data/rules.json``), evaluated with interval arithmetic.

A rule is a row: ``id``, ``severity`` (ERROR blocks submission and export; WARNING is accepted once a
reviewer has explained it), ``templates`` (its prerequisite: every one filed), ``formula`` over
template cells, ``from``/``to`` (reference dates it is active for, inclusive; null = open) and a
description. Formulas follow the EBA notation::

    {C_01.00, r0010, c0010} = {C_01.00, r0015, c0010} + {C_01.00, r0750, c0010}
    {C_07.00.a, r0010, c0220, s*} = {C_07.00.a, r0010, c0215, s*} + {C_07.00.a, r0010, c0216, s*}

``s*`` makes the rule sheet-scoped: it is evaluated once per reported C 07.00 sheet. Operators:
``+ - *``, parentheses, decimal constants, and one comparison ``=``, ``>=`` or ``<=``. A missing cell
counts as zero (the EBA's "if value missing: treat as zero"); a rule none of whose cells is reported
is skipped. Arithmetic is the EBA's interval approach (banking.md §5.8): a reported value ``v`` with
``d`` decimals stands for ``[v − ½·10^−d, v + ½·10^−d]`` (constants and missing cells are exact); an
equality holds when the two sides' intervals overlap, ``a >= b`` when ``max(a) ≥ min(b)``.

The generic sign rule ``sign`` checks every reported cell the DPM marks positive (≥ 0) or negative
(≤ 0).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from functools import cache
from pathlib import Path
from typing import Any

from shared.prudential.numbers import EXACT
from shared.reporting.templates import Cell, Report

__all__ = ["Finding", "Rule", "RuleSyntaxError", "evaluate", "load_rules", "parse"]

_DATA = Path(__file__).with_name("data") / "rules.json"
_HALF_CENT = Decimal("0.005")
_HALF_MICRO = Decimal("0.0000005")
SEVERITIES = ("ERROR", "WARNING")


class RuleSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Ref:
    table: str
    row: str
    column: str
    sheet: str | None  # a member, "*" (the rule's scope) or None

    def key(self, scope: str | None) -> tuple[str, str | None, str, str]:
        return (self.table, scope if self.sheet == "*" else self.sheet, self.row, self.column)

    def address(self, scope: str | None) -> str:
        sheet = scope if self.sheet == "*" else self.sheet
        return f"{{{self.table}, {self.row}, {self.column}{', s ' + sheet if sheet else ''}}}"


Node = tuple[Any, ...]  # ("ref", Ref) | ("num", Decimal) | ("+"|"-"|"*", Node, Node) | ("neg", Node)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    templates: tuple[str, ...]
    formula: str
    description: str
    valid_from: date | None
    valid_to: date | None
    op: str
    left: Node
    right: Node

    @property
    def refs(self) -> tuple[Ref, ...]:
        out: list[Ref] = []
        _collect(self.left, out)
        _collect(self.right, out)
        return tuple(out)

    @property
    def scoped(self) -> bool:
        return any(r.sheet == "*" for r in self.refs)

    def active(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    status: str  # passed | failed | skipped
    scope: str | None
    cells: tuple[str, ...]
    left: str | None
    right: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "severity": self.severity, "status": self.status, "scope": self.scope,
            "cells": list(self.cells), "left": self.left, "right": self.right, "message": self.message,
        }  # fmt: skip


def _collect(node: Node, out: list[Ref]) -> None:
    if node[0] == "ref":
        out.append(node[1])
    elif node[0] == "num":
        return
    else:
        for child in node[1:]:
            _collect(child, out)


# --- parsing ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\{[^}]*\})|(\d+(?:\.\d+)?)|(>=|<=|=|\+|-|\*|\(|\)))")
_REF = re.compile(r"^\{\s*(C_\d\d\.\d\d(?:\.[a-z])?)\s*,\s*r(\d{4})\s*,\s*c(\d{4})\s*(?:,\s*s(\*|\s*[\w:]+))?\s*\}$")


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise RuleSyntaxError(f"unexpected text at {pos}: {text[pos : pos + 20]!r}")
        out.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise RuleSyntaxError("unexpected end of formula")
        self.pos += 1
        return token

    def expr(self) -> Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            node = (op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.peek() == "*":
            self.take()
            node = ("*", node, self.factor())
        return node

    def factor(self) -> Node:
        token = self.take()
        if token == "-":  # noqa: S105 - a formula token, not a secret
            return ("neg", self.factor())
        if token == "(":  # noqa: S105 - a formula token, not a secret
            node = self.expr()
            if self.take() != ")":
                raise RuleSyntaxError("missing )")
            return node
        if token.startswith("{"):
            match = _REF.match(token)
            if match is None:
                raise RuleSyntaxError(f"bad cell reference {token}")
            table, row, column, sheet = match.groups()
            return ("ref", Ref(table, f"r{row}", f"c{column}", sheet.strip() if sheet else None))
        if token[0].isdigit():
            return ("num", Decimal(token))
        raise RuleSyntaxError(f"unexpected {token!r}")


def parse(formula: str) -> tuple[str, Node, Node]:
    """``(op, left, right)``; ``RuleSyntaxError`` if the formula is not one comparison of two sums."""
    tokens = _tokens(formula)
    ops = [t for t in tokens if t in ("=", ">=", "<=")]
    if len(ops) != 1:
        raise RuleSyntaxError("a formula has exactly one comparison (=, >=, <=)")
    parser = _Parser(tokens)
    left = parser.expr()
    op = parser.take()
    right = parser.expr()
    if parser.peek() is not None:
        raise RuleSyntaxError(f"unexpected {parser.peek()!r} after the formula")
    return op, left, right


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def rule_from_row(row: dict[str, Any]) -> Rule:
    if row.get("severity") not in SEVERITIES:
        raise RuleSyntaxError(f"{row.get('id')}: severity must be ERROR or WARNING")
    op, left, right = parse(row["formula"])
    return Rule(
        row["id"], row["severity"], tuple(row["templates"]), row["formula"], row["description"],
        _date(row.get("from")), _date(row.get("to")), op, left, right,
    )  # fmt: skip


@cache
def load_rules() -> tuple[Rule, ...]:
    rows = json.loads(_DATA.read_text(encoding="utf-8"))["rules"]
    rules = tuple(rule_from_row(r) for r in rows)
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise RuleSyntaxError("duplicate rule ids")
    return rules


# --- interval arithmetic ------------------------------------------------------------------------

Interval = tuple[Decimal, Decimal]


#: the decimals each kind of value is reported with (the package's decimalsMonetary/decimalsPercentage).
DECIMALS = {"monetary": 2, "percentage": 6, "integer": 0}


def _half(decimals: int) -> Decimal:
    """½·10^−d."""
    return Decimal(5).scaleb(-(decimals + 1))


def _interval(cell: Cell | None, decimals: dict[str, int] | None = None) -> Interval | None:
    if cell is None or isinstance(cell.value, str):
        return None
    if decimals is None:
        half = _HALF_MICRO if cell.kind == "percentage" else _HALF_CENT
    else:
        half = _half(decimals[cell.kind])
    return (cell.value - half, cell.value + half)


def _eval(
    node: Node, cells: dict[Any, Cell], scope: str | None, seen: list[bool], decimals: dict[str, int] | None = None
) -> Interval:
    kind = node[0]
    if kind == "num":
        return (node[1], node[1])
    if kind == "ref":
        found = _interval(cells.get(node[1].key(scope)), decimals)
        if found is None:
            return (Decimal(0), Decimal(0))
        seen[0] = True
        return found
    if kind == "neg":
        lo, hi = _eval(node[1], cells, scope, seen, decimals)
        return (-hi, -lo)
    a = _eval(node[1], cells, scope, seen, decimals)
    b = _eval(node[2], cells, scope, seen, decimals)
    if kind == "+":
        return (a[0] + b[0], a[1] + b[1])
    if kind == "-":
        return (a[0] - b[1], a[1] - b[0])
    products = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    return (min(products), max(products))


def _holds(op: str, left: Interval, right: Interval) -> bool:
    if op == "=":
        return left[0] <= right[1] and right[0] <= left[1]
    if op == ">=":
        return left[1] >= right[0]
    return left[0] <= right[1]


def _mid(i: Interval) -> str:
    return format((i[0] + i[1]) / 2, "f")


def _sign_findings(report: Report) -> list[Finding]:
    out: list[Finding] = []
    for cell in report.sorted_cells():
        if isinstance(cell.value, str):
            continue
        sign = report.module.table(cell.table).signs.get(f"{cell.row},{cell.column}")
        if (sign == "positive" and cell.value < 0) or (sign == "negative" and cell.value > 0):
            expected = "≥ 0" if sign == "positive" else "≤ 0"
            out.append(
                Finding(
                    "sign",
                    "ERROR",
                    "failed",
                    cell.sheet,
                    (cell.address,),
                    format(cell.value, "f"),
                    "0",
                    f"{cell.address} must be {expected} (DPM sign {sign})",
                )
            )
    if not out:
        out.append(Finding("sign", "ERROR", "passed", None, (), None, None, "every signed cell has its sign"))
    return out


def evaluate(
    report: Report, rules: Iterable[Rule] | None = None, decimals: dict[str, int] | None = None
) -> list[Finding]:
    """Every active rule whose templates are all filed in ``report``'s module, in rule order, then the
    sign rule. Rules about tables of another module are not this report's. ``decimals``: the decimals
    per kind the values are reported with (default :data:`DECIMALS`, those of our packages)."""
    tables = {t.code for t in report.module.tables}
    findings: list[Finding] = []
    cells = report.cells
    sheets = sorted({c.sheet for c in cells.values() if c.sheet is not None})
    with localcontext(EXACT):
        for rule in load_rules() if rules is None else rules:
            if not all(r.table in tables for r in rule.refs):
                continue
            if not rule.active(report.reference_date):
                findings.append(Finding(rule.id, rule.severity, "skipped", None, (), None, None, "not active"))
                continue
            if not all(report.filing.get(t) for t in rule.templates):
                findings.append(
                    Finding(rule.id, rule.severity, "skipped", None, (), None, None, "a template is not filed")
                )
                continue
            for scope in sheets if rule.scoped else [None]:
                seen = [False]
                left = _eval(rule.left, cells, scope, seen, decimals)
                right = _eval(rule.right, cells, scope, seen, decimals)
                addresses = tuple(dict.fromkeys(r.address(scope) for r in rule.refs))
                if not seen[0]:
                    if not rule.scoped:
                        findings.append(
                            Finding(rule.id, rule.severity, "skipped", scope, addresses, None, None, "no cell reported")
                        )
                    continue
                ok = _holds(rule.op, left, right)
                message = (
                    f"{rule.description}" if ok
                    else f"{rule.description}: {_mid(left)} {rule.op} {_mid(right)} does not hold"
                )  # fmt: skip
                findings.append(
                    Finding(
                        rule.id,
                        rule.severity,
                        "passed" if ok else "failed",
                        scope,
                        addresses,
                        _mid(left),
                        _mid(right),
                        message,
                    )
                )
    findings.extend(_sign_findings(report))
    return findings


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == "failed" and f.severity == "ERROR"]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == "failed" and f.severity == "WARNING"]
