"""Inputs and results of the prudential engine, and the one validator every entry point uses.

The CLI, the HTTP function and the import preview all call :func:`validate_input` (a whole
calculation document) or :func:`validate_exposure` (one exposure row); both report problems as
:class:`InputError` with the path of the offending value (``exposures[0].cqs``), a stable rule code,
the English problem text of the CLI contract and the value as given. ``null`` equals absent.

Validated inputs are immutable named tuples (cheap to build and hash: the engine caches risk
weights per :class:`Profile`). Results are named tuples of unrounded ``Decimal`` values; rounding
happens once, in :func:`shared.prudential.engine.result_to_json`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

from shared.prudential.numbers import cycle_collection_paused
from shared.prudential.rules import RuleSet

__all__ = [
    "ASF_CATEGORIES",
    "ASSET_CATEGORIES",
    "EXPOSURE_CLASSES",
    "EXPOSURE_FIELDS",
    "INFLOW_CATEGORIES",
    "OUTFLOW_CATEGORIES",
    "REPORTING_CLASSES",
    "RSF_CATEGORIES",
    "CalculationInput",
    "Collateral",
    "Exposure",
    "ExposureResult",
    "Guarantee",
    "InputError",
    "InvalidInput",
    "Leverage",
    "Liquidity",
    "OtherRisks",
    "OutputFloor",
    "OwnFunds",
    "PartResult",
    "Profile",
    "Requirements",
    "Result",
    "Shapes",
    "collect_errors",
    "revalidate",
    "validate_exposure",
    "validate_input",
]

ZERO = Decimal(0)

EXPOSURE_CLASSES = (
    "central_government", "rgla", "pse", "mdb", "international_organisation", "institution", "corporate",
    "retail", "real_estate", "adc", "subordinated_debt", "equity", "covered_bond", "other_items",
)  # fmt: skip
REPORTING_CLASSES = (*tuple(c for c in EXPOSURE_CLASSES if c != "adc"), "in_default")
GUARANTOR_CLASSES = ("central_government", "mdb", "international_organisation", "institution", "corporate")
ASSET_CATEGORIES = (
    "l1_coins_banknotes", "l1_central_bank_reserves", "l1_securities", "l1_covered_bonds", "l2a",
    "l2b_covered_bonds", "l2b_other",
)  # fmt: skip
OUTFLOW_CATEGORIES = (
    "retail_stable", "retail_other", "operational_deposits", "non_operational_non_financial", "financial_customers",
    "secured_funding_level1", "secured_funding_level2a", "secured_funding_non_liquid", "committed_credit_retail",
    "committed_credit_non_financial", "committed_liquidity_non_financial", "committed_facilities_credit_institutions",
    "committed_credit_other_financial", "committed_liquidity_other_financial", "derivatives_net", "other",
)  # fmt: skip
INFLOW_CATEGORIES = (
    "non_financial_customers", "financial_customers", "secured_lending_level1", "secured_lending_non_liquid",
    "derivatives_net",
)  # fmt: skip
ASF_CATEGORIES = (
    "capital", "liabilities_1y_plus", "retail_stable", "retail_other", "operational_deposits", "non_financial_short",
    "financial_6m_to_1y", "financial_short", "other_liabilities",
)  # fmt: skip
RSF_CATEGORIES = (
    "cash_central_bank", "level1", "level1_covered_bonds", "level2a", "level2b", "loans_financial_short_level1",
    "loans_financial_short_other", "loans_financial_6m_to_1y", "loans_non_financial_short",
    "operational_deposits_held", "residential_mortgages_rw35", "other_loans_rw35", "loans_rw_over_35",
    "securities_non_hqla", "loans_financial_long", "non_performing", "fixed_and_other_assets", "undrawn_facilities",
)  # fmt: skip

_SCRA_GRADES = ("A", "B", "C")
_SPECIALISED = ("object", "commodities", "project_pre_operational", "project_operational", "project_high_quality")
_RETAIL_TYPES = ("regulatory", "transactor", "other")
_PROPERTY_TYPES = ("residential", "commercial")
_COUNTERPARTIES = ("retail", "natural_person", "corporate")
_ITEM_TYPES = ("cash", "gold", "items_in_collection", "other")
_ISSUER_RW = tuple(Decimal(v) for v in ("0.2", "0.3", "0.4", "0.5", "0.75", "1", "1.5"))
_TREAT_AS = ("central_government", "institution")

# --- validated inputs ---------------------------------------------------------------------------


class Profile(NamedTuple):
    """What decides an obligor's (or a guarantor's) risk weight; ``cls`` is the input class."""

    cls: str
    cqs: int | None = None
    domestic_currency: bool = False
    treat_as: str | None = None
    scra_grade: str | None = None
    short_term: bool = False
    cet1_ratio: Decimal | None = None
    leverage_ratio: Decimal | None = None
    sovereign_cqs: int | None = None
    specialised_lending: str | None = None
    retail_type: str = "regulatory"
    currency_mismatch: bool = False
    property_type: str | None = None
    counterparty: str | None = None
    ipre: bool = False
    eligible: bool = True
    residential_relief: bool = False
    higher_risk: bool = False
    issuer_risk_weight: Decimal | None = None
    item_type: str | None = None


class Guarantee(NamedTuple):
    amount: Decimal
    guarantor: Profile


class Collateral(NamedTuple):
    amount: Decimal
    currency: str


class Exposure(NamedTuple):
    id: str
    cls: str
    amount: Decimal
    scra: Decimal
    currency: str
    off_balance: Decimal
    ccf_bucket: int | None
    defaulted: bool
    guarantee: Guarantee | None
    collateral: Collateral | None
    sme_supporting_factor: bool
    sme_total_owed: Decimal | None
    property_value: Decimal | None
    prior_liens: Decimal
    profile: Profile


class OwnFunds(NamedTuple):
    cet1_instruments: Decimal = ZERO
    retained_earnings: Decimal = ZERO
    accumulated_oci: Decimal = ZERO
    other_reserves: Decimal = ZERO
    cet1_other: Decimal = ZERO
    goodwill: Decimal = ZERO
    other_intangibles: Decimal = ZERO
    deferred_tax_assets: Decimal = ZERO
    prudent_valuation: Decimal = ZERO
    at1_instruments: Decimal = ZERO
    at1_deductions: Decimal = ZERO
    t2_instruments: Decimal = ZERO
    t2_deductions: Decimal = ZERO


class OtherRisks(NamedTuple):
    market_rwa: Decimal | None = None
    cva_rwa: Decimal | None = None
    settlement_rwa: Decimal | None = None
    other_rwa: Decimal | None = None
    operational_rwa: Decimal | None = None
    business_indicator: Decimal | None = None


class OutputFloor(NamedTuple):
    u_trea: Decimal | None = None
    s_trea: Decimal | None = None
    transitional_cap: bool = False


class Requirements(NamedTuple):
    p2r: Decimal = ZERO
    ccyb: Decimal = ZERO
    syrb: Decimal = ZERO
    osii: Decimal = ZERO
    gsii: Decimal = ZERO
    distributable_profits: Decimal | None = None


class Leverage(NamedTuple):
    on_balance: Decimal = ZERO
    derivatives: Decimal = ZERO
    sft: Decimal = ZERO
    deductions: Decimal = ZERO
    p2r: Decimal = ZERO
    off_balance: Mapping[int, Decimal] = {}


class Liquidity(NamedTuple):
    """LCR (``first`` assets, ``second`` outflows, ``third`` inflows) or NSFR (asf, rsf, empty)."""

    first: Mapping[str, Decimal]
    second: Mapping[str, Decimal]
    third: Mapping[str, Decimal]


class CalculationInput(NamedTuple):
    id: str | None
    reference_date: date
    exposures: tuple[Exposure, ...]
    own_funds: OwnFunds | None
    other_risks: OtherRisks | None
    output_floor: OutputFloor | None
    requirements: Requirements | None
    leverage: Leverage | None
    lcr: Liquidity | None
    nsfr: Liquidity | None


# --- results (unrounded) ------------------------------------------------------------------------


class PartResult(NamedTuple):
    """One risk-weighted part; ``kind``: guaranteed, collateralised… see engine.PART_KINDS."""

    reporting_class: str
    exposure_value: Decimal
    risk_weight: Decimal
    rwa_pre_sf: Decimal
    rwa: Decimal
    kind: str


class ExposureResult(NamedTuple):
    """One exposure's result; the fields after ``rule`` feed COREP C 07.00 (see engine.breakdown)."""

    id: str
    cls: str
    reporting_class: str
    original_exposure: Decimal
    exposure_value: Decimal
    rwa_pre_sf: Decimal
    rwa: Decimal
    parts: tuple[PartResult, ...]
    rule: str
    on_balance: Decimal
    scra: Decimal
    off_balance: Decimal
    ccf_bucket: int | None
    ccf: Decimal
    guaranteed: Decimal
    collateral_adjusted: Decimal
    sme_factor_applied: bool
    defaulted: bool


class Result(NamedTuple):
    """A calculation: per-exposure results and the sections of the CLI contract as unrounded values."""

    id: str | None
    rule_set: str
    reference_date: date
    exposures: Sequence[ExposureResult]
    credit_risk: dict[str, Any]
    trea: dict[str, Any]
    capital: dict[str, Any] | None
    leverage: dict[str, Any] | None
    lcr: dict[str, Any] | None
    nsfr: dict[str, Any] | None


# --- errors -------------------------------------------------------------------------------------


class InputError(NamedTuple):
    """``path``: where (``[3].exposures[0].cqs``); ``rule``: stable code; ``problem``: the English text."""

    path: str
    rule: str
    problem: str
    value: Any = None

    def line(self) -> str:
        return f"{self.path}: {self.problem}"


class InvalidInput(ValueError):
    """Raised by :func:`validate_input`; ``errors`` lists every problem found, ``errors[0]`` first."""

    def __init__(self, errors: list[InputError]) -> None:
        super().__init__(errors[0].line())
        self.errors = errors


# --- field readers ------------------------------------------------------------------------------

_DECIMAL_TEXT = re.compile(r"-?(\d+)(?:\.(\d+))?")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_MISSING: Any = object()
_DECIMAL_PROBLEM = 'must be a decimal number (a JSON number or a string like "1234.56")'
_DIGITS_PROBLEM = "must have at most 15 integer digits and 8 decimals"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _decimal(value: object) -> Decimal | str:
    """The Decimal, or the problem text."""
    kind = type(value)
    if kind is str:
        assert isinstance(value, str)
        match = _DECIMAL_TEXT.fullmatch(value)
        if match is None:
            return _DECIMAL_PROBLEM
        whole, fraction = match.groups()
        if len(whole) > 15 or (fraction is not None and len(fraction) > 8):
            return _DIGITS_PROBLEM
        return Decimal(value)
    if kind is Decimal:
        number: Decimal = value  # type: ignore[assignment]
        if not number.is_finite():
            return _DECIMAL_PROBLEM
    elif kind is int:
        number = Decimal(value)  # type: ignore[arg-type]
    elif kind is float:
        number = Decimal(repr(value))
        if not number.is_finite():
            return _DECIMAL_PROBLEM
    else:
        return _DECIMAL_PROBLEM
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) + exponent > 15 or -exponent > 8:
        return _DIGITS_PROBLEM
    return number


class _Reader:
    """Reads the fields of one JSON object, recording problems instead of stopping at the first."""

    __slots__ = ("data", "errors", "path")

    def __init__(self, data: Mapping[str, Any], path: str, errors: list[InputError]) -> None:
        self.data = data
        self.path = path
        self.errors = errors

    def fail(self, key: str, rule: str, problem: str) -> None:
        self.errors.append(InputError(_join(self.path, key), rule, problem, self.data.get(key)))

    def only(self, allowed: frozenset[str] | set[str], why: str = "unknown field") -> None:
        extra = self.data.keys() - allowed
        if extra:
            for key in self.data:  # input order: the first unknown key is reported first
                if key in extra:
                    self.fail(key, "unknown_field", why)

    def dec(
        self, key: str, default: Decimal | None = ZERO, *, signed: bool = False, rate: bool = False,
        positive: bool = False, required: bool = False,
    ) -> Decimal | None:  # fmt: skip
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.fail(key, "required", "is required")
            return default
        number = _decimal(value)
        if type(number) is str:
            self.fail(key, "decimal" if number is _DECIMAL_PROBLEM else "digits", number)
            return None
        assert isinstance(number, Decimal)
        if positive and number <= 0:
            self.fail(key, "minimum", "must be > 0")
            return None
        if not signed and number < 0:
            self.fail(key, "minimum", "must be ≥ 0")
            return None
        if rate and number > 1:
            self.fail(key, "maximum", "must be ≤ 1")
            return None
        return number

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            return default
        if value is True or value is False:
            return value
        self.fail(key, "boolean", "must be true or false")
        return default

    def integer(self, key: str, low: int, high: int, *, required: bool = False) -> int | None:
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.fail(key, "required", "is required")
            return None
        if type(value) is int and low <= value <= high:
            return value
        self.fail(key, "integer_range", f"must be an integer {low}..{high}")
        return None

    def choice(self, key: str, options: tuple[str, ...], *, required: bool = False) -> str | None:
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.fail(key, "required", "is required")
            return None
        if type(value) is str and value in options:
            return value
        self.fail(key, "choice", "must be one of " + ", ".join(options))
        return None

    def obj(self, key: str, *, required: bool = False) -> _Reader | None:
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.fail(key, "required", "is required")
            return None
        if not isinstance(value, dict):
            self.fail(key, "object", "must be a JSON object")
            return None
        return _Reader(_without_nulls(value), _join(self.path, key), self.errors)


def _without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    if None in data.values():
        return {k: v for k, v in data.items() if v is not None}
    return data


# --- exposures ----------------------------------------------------------------------------------

_BASE = frozenset({"id", "class", "amount", "scra", "currency"})
_OFF = frozenset({"off_balance", "ccf_bucket", "defaulted"})
_CRM = frozenset({"guarantee", "collateral"})
_SME = frozenset({"sme_supporting_factor", "sme_total_owed"})
_CG = frozenset({"cqs", "domestic_currency"})
_INSTITUTION = frozenset({"cqs", "scra_grade", "short_term", "cet1_ratio", "leverage_ratio"})
_CORPORATE = frozenset({"cqs", "sovereign_cqs", "specialised_lending"})
_FIRST_FOUR = (
    "central_government",
    "rgla",
    "pse",
    "mdb",
    "international_organisation",
    "institution",
    "corporate",
    "retail",
)
_CLASS_FIELDS: dict[str, frozenset[str]] = {
    "central_government": _BASE | _OFF | _CG,
    "rgla": _BASE | _OFF | {"treat_as"} | _CG | _INSTITUTION,
    "pse": _BASE | _OFF | {"treat_as"} | _CG | _INSTITUTION,
    "mdb": _BASE | _OFF,
    "international_organisation": _BASE | _OFF,
    "institution": _BASE | _OFF | _CRM | _INSTITUTION,
    "corporate": _BASE | _OFF | _CRM | _SME | _CORPORATE,
    "retail": _BASE | _OFF | _CRM | _SME | {"retail_type", "currency_mismatch"},
    "real_estate": _BASE
    | {"defaulted"}
    | _SME
    | {
        "property_type",
        "property_value",
        "counterparty",
        "cqs",
        "sovereign_cqs",
        "ipre",
        "eligible",
        "prior_liens",
        "currency_mismatch",
    },
    "adc": _BASE | {"defaulted"} | _SME | {"residential_relief"},
    "subordinated_debt": _BASE,
    "equity": _BASE | {"higher_risk"},
    "covered_bond": _BASE | {"cqs", "issuer_risk_weight"},
    "other_items": _BASE | {"item_type"},
}
EXPOSURE_FIELDS: tuple[str, ...] = tuple(sorted(set().union(*_CLASS_FIELDS.values())))
_GUARANTOR_FIELDS: dict[str, frozenset[str]] = {
    "central_government": _CG,
    "mdb": frozenset(),
    "international_organisation": frozenset(),
    "institution": _INSTITUTION,
    "corporate": _CORPORATE,
}
_NOT_FOR_CLASS = "unknown field (not listed for class {})"


def _institution_fields(r: _Reader, cls: str) -> dict[str, Any]:
    cqs = r.integer("cqs", 1, 6)
    grade = r.choice("scra_grade", _SCRA_GRADES)
    given = [k for k in ("cqs", "scra_grade") if k in r.data]
    if len(given) != 1:
        r.fail("cqs" if given else "scra_grade", "exactly_one", "exactly one of cqs / scra_grade is required")
    fields: dict[str, Any] = {"cqs": cqs, "scra_grade": grade, "short_term": r.flag("short_term")}
    for key in ("cet1_ratio", "leverage_ratio"):
        if key in r.data and "scra_grade" not in r.data:
            r.fail(key, "grade_only", "only with scra_grade")
        else:
            fields[key] = r.dec(key, None, rate=True)
    return fields


def _corporate_fields(r: _Reader) -> dict[str, Any]:
    fields: dict[str, Any] = {"cqs": r.integer("cqs", 1, 6)}
    sovereign = r.integer("sovereign_cqs", 1, 6)
    lending = r.choice("specialised_lending", _SPECIALISED)
    for key in ("sovereign_cqs", "specialised_lending"):
        if key in r.data and "cqs" in r.data:
            r.fail(key, "unrated_only", "only when cqs is absent (unrated)")
    if "sovereign_cqs" in r.data and "specialised_lending" in r.data:
        r.fail("specialised_lending", "exclusive", "not together with sovereign_cqs")
    fields.update(sovereign_cqs=sovereign, specialised_lending=lending)
    return fields


def _profile_fields(r: _Reader, cls: str) -> dict[str, Any]:
    """Class-specific fields of an obligor or a guarantor (unknown keys already reported)."""
    if cls == "central_government":
        return {"cqs": r.integer("cqs", 1, 6), "domestic_currency": r.flag("domestic_currency")}
    if cls in ("rgla", "pse"):
        treat_as = r.choice("treat_as", _TREAT_AS, required=True)
        if treat_as is None:
            return {}
        allowed = _CG if treat_as == "central_government" else _INSTITUTION
        for key in r.data:
            if key in (_CG | _INSTITUTION) and key not in allowed:
                r.fail(key, "unknown_field", f"unknown field (not listed for treat_as {treat_as})")
        if treat_as == "central_government":
            return {"treat_as": treat_as, **_profile_fields(r, "central_government")}
        return {"treat_as": treat_as, **_institution_fields(r, cls)}
    if cls == "institution":
        return _institution_fields(r, cls)
    if cls == "corporate":
        return _corporate_fields(r)
    if cls == "retail":
        return {
            "retail_type": r.choice("retail_type", _RETAIL_TYPES) or "regulatory",
            "currency_mismatch": r.flag("currency_mismatch"),
        }
    if cls == "real_estate":
        counterparty = r.choice("counterparty", _COUNTERPARTIES, required=True)
        fields: dict[str, Any] = {
            "property_type": r.choice("property_type", _PROPERTY_TYPES, required=True),
            "counterparty": counterparty,
            "ipre": r.flag("ipre"),
            "eligible": r.flag("eligible", True),
            "currency_mismatch": r.flag("currency_mismatch"),
        }
        if counterparty == "corporate":
            fields.update(
                _corporate_fields(
                    _Reader({k: v for k, v in r.data.items() if k in ("cqs", "sovereign_cqs")}, r.path, r.errors)
                )
            )
        else:
            for key in ("cqs", "sovereign_cqs"):
                if key in r.data:
                    r.fail(key, "corporate_only", "only with counterparty corporate")
        return fields
    if cls == "adc":
        return {"residential_relief": r.flag("residential_relief")}
    if cls == "equity":
        return {"higher_risk": r.flag("higher_risk")}
    if cls == "covered_bond":
        cqs = r.integer("cqs", 1, 6)
        issuer = r.dec("issuer_risk_weight", None)
        if issuer is not None and issuer not in _ISSUER_RW:
            r.fail("issuer_risk_weight", "choice", "must be one of 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5")
            issuer = None
        if ("cqs" in r.data) == ("issuer_risk_weight" in r.data):
            r.fail(
                "cqs" if "cqs" in r.data else "issuer_risk_weight",
                "exactly_one",
                "exactly one of cqs / issuer_risk_weight is required",
            )
        return {"cqs": cqs, "issuer_risk_weight": issuer}
    if cls == "other_items":
        return {"item_type": r.choice("item_type", _ITEM_TYPES, required=True)}
    return {}


def _guarantee(r: _Reader, exposure_amount: Decimal | None) -> Guarantee | None:
    r.only({"amount", "guarantor"})
    amount = r.dec("amount", None, required=True)
    g = r.obj("guarantor", required=True)
    if g is None:
        return None
    cls = g.choice("class", GUARANTOR_CLASSES, required=True)
    if cls is None:
        g.only({"class"} | _CG | _INSTITUTION | _CORPORATE)
        return None
    g.only({"class"} | _GUARANTOR_FIELDS[cls], _NOT_FOR_CLASS.format(cls))
    profile = Profile(cls, **_profile_fields(g, cls))
    if amount is None or exposure_amount is None:
        return None
    if amount > exposure_amount:
        r.fail("amount", "maximum", "must not exceed amount − scra")
        return None
    return Guarantee(amount, profile)


def _collateral(r: _Reader, currency: str) -> Collateral | None:
    r.only({"amount", "currency"})
    amount = r.dec("amount", None, required=True)
    own = _currency(r, currency)
    return None if amount is None else Collateral(amount, own)


def _currency(r: _Reader, default: str) -> str:
    value = r.data.get("currency", _MISSING)
    if value is _MISSING:
        return default
    if type(value) is str and _CURRENCY.fullmatch(value):
        return value
    r.fail("currency", "currency", "must be an ISO 4217 code like EUR")
    return default


def _exposure(raw: object, path: str, errors: list[InputError]) -> Exposure | None:
    if not isinstance(raw, dict):
        errors.append(InputError(path, "object", "must be a JSON object", raw))
        return None
    start = len(errors)
    r = _Reader(_without_nulls(raw), path, errors)
    data = r.data
    ident = data.get("id", _MISSING)
    if ident is _MISSING:
        r.fail("id", "required", "is required")
    elif type(ident) is not str or not ident:
        r.fail("id", "string", "must be a non-empty string")
    cls = r.choice("class", EXPOSURE_CLASSES, required=True)
    if cls is None:
        return None
    r.only(_CLASS_FIELDS[cls], _NOT_FOR_CLASS.format(cls))
    amount = r.dec("amount")
    scra = r.dec("scra")
    currency = _currency(r, "EUR")
    if amount is not None and scra is not None and scra > amount:
        r.fail("scra", "maximum", "must not exceed amount")
    off_balance = r.dec("off_balance")
    bucket = r.integer("ccf_bucket", 1, 5)
    if off_balance and bucket is None and "ccf_bucket" not in data:
        r.fail("ccf_bucket", "required", "is required when off_balance > 0")
    defaulted = r.flag("defaulted")
    if cls == "real_estate" and scra and not defaulted:
        r.fail("scra", "real_estate_scra", "must be 0 unless defaulted")
    profile_fields = _profile_fields(r, cls)
    guarantee = collateral = None
    if "guarantee" in data or "collateral" in data:
        if off_balance or defaulted:
            key = "guarantee" if "guarantee" in data else "collateral"
            r.fail(key, "crm_scope", "only for exposures with off_balance 0 that are not defaulted")
        else:
            net = None if amount is None or scra is None else amount - scra
            g = r.obj("guarantee")
            guarantee = _guarantee(g, net) if g is not None else None
            c = r.obj("collateral")
            collateral = _collateral(c, currency) if c is not None else None
    sme = r.flag("sme_supporting_factor")
    owed = r.dec("sme_total_owed", None, positive=True)
    if sme and "sme_total_owed" not in data:
        r.fail("sme_total_owed", "required", "is required when sme_supporting_factor is true")
    elif not sme and "sme_total_owed" in data:
        r.fail("sme_total_owed", "sme_only", "only when sme_supporting_factor is true")
    value = liens = None
    if cls == "real_estate":
        value = r.dec("property_value", None, positive=True, required=True)
        liens = r.dec("prior_liens")
        if "prior_liens" in data and data.get("ipre") is True:
            r.fail("prior_liens", "not_with_ipre", "not with ipre")
    if len(errors) > start:
        return None
    assert amount is not None and scra is not None and off_balance is not None
    return Exposure(
        ident, cls, amount, scra, currency, off_balance, bucket, defaulted, guarantee, collateral, sme, owed,
        value, liens or ZERO, Profile(cls, **profile_fields),
    )  # fmt: skip


_new_exposure = tuple.__new__
_AMOUNT_KEYS = frozenset({"amount", "scra", "off_balance", "sme_total_owed", "property_value", "prior_liens"})
# A decimal text that :func:`_decimal` accepts as it is and that is ≥ 0 (``\\d`` as in ``_DECIMAL_TEXT``):
# the fast path's only parse; anything else (a sign, too many digits, a number) goes through ``_amount``.
_PLAIN_AMOUNT = re.compile(r"\d{1,15}(?:\.\d{1,8})?").fullmatch


class _Layout:
    """The exposures whose keys come in one order (``tuple(raw)``): which amounts they carry, a getter
    of their other values, and the validated exposures (the templates) per tuple of those values and
    of their types (the type is part of the key: 1 == True == 1.0 == Decimal(1), only some are valid).
    A guarantee or a collateral adds the shape of its object (:func:`_crm_shape`) to the key."""

    __slots__ = (
        "crm", "has_amount", "has_collateral", "has_guarantee", "has_liens", "has_off", "has_owed", "has_scra",
        "has_value", "others", "templates",
    )  # fmt: skip

    def __init__(self, names: tuple[str, ...]) -> None:
        others = [k for k in names if k not in _AMOUNT_KEYS and k not in _CRM and k != "id"]
        if len(others) == 1:
            only = others[0]
            self.others: Callable[[dict[str, Any]], tuple[Any, ...]] = lambda raw: (raw[only],)
        else:
            self.others = itemgetter(*others)  # ``class`` is always there: never 0 keys
        self.has_amount = "amount" in names
        self.has_scra = "scra" in names
        self.has_off = "off_balance" in names
        self.has_owed = "sme_total_owed" in names
        self.has_value = "property_value" in names
        self.has_liens = "prior_liens" in names
        self.has_guarantee = "guarantee" in names
        self.has_collateral = "collateral" in names
        self.crm = self.has_guarantee or self.has_collateral
        self.templates: dict[tuple[Any, ...], Exposure] = {}


Shapes = dict[tuple[str, ...], _Layout]


def _amount(value: object, *, positive: bool = False) -> Decimal | None:
    number = _decimal(value)
    if type(number) is str:
        return None
    assert isinstance(number, Decimal)
    return number if (number > 0 if positive else number >= 0) else None


def _remember(raw: dict[str, Any], exposure: Exposure, shapes: Shapes) -> None:
    """Keep a fully validated exposure as the template of its shape (if its values are hashable)."""
    names = tuple(raw)
    if "id" not in names or "class" not in names:
        return
    layout = shapes.get(names)
    if layout is None:
        layout = shapes[names] = _Layout(names)
    values = layout.others(raw)
    key: tuple[Any, ...] = (values, tuple(map(type, values)))
    if layout.crm:
        shape = _crm_shape(raw, layout)
        if shape is None:
            return
        key += (shape,)
    try:
        layout.templates[key] = exposure
    except TypeError:  # an unhashable value (a list, an object): no shape
        return


def _crm_shape(raw: dict[str, Any], layout: _Layout) -> tuple[Any, ...] | None:
    """The guarantee's and the collateral's keys, values and their types but their amounts (the
    guarantor's whole object), or None if one is not an object (then no shape: the full path)."""
    shape: list[Any] = []
    if layout.has_guarantee:
        g = raw["guarantee"]
        guarantor = g.get("guarantor") if type(g) is dict else None
        if type(guarantor) is not dict:
            return None
        values = tuple(guarantor.values())
        shape.append((tuple(g), tuple(guarantor), values, tuple(map(type, values))))
    if layout.has_collateral:
        c = raw["collateral"]
        if type(c) is not dict:
            return None
        values = tuple([v for k, v in c.items() if k != "amount"])
        shape.append((tuple(c), values, tuple(map(type, values))))
    return tuple(shape)


def _fast(raw: object, shapes: Shapes) -> Exposure | None:
    """The exposure if ``raw`` has the shape of an exposure validated before (same keys in the same
    order, same values and types except id and amounts) and its id and amounts pass every rule that
    involves them; otherwise None (then :func:`_exposure` decides, and reports the problems).

    Exposures that differ only by id and amounts thus reuse the checked class fields (the profile);
    only the id and the amounts and their rules are checked again, one exposure at a time."""
    if type(raw) is not dict:
        return None
    layout = shapes.get(tuple(raw))
    if layout is None:
        return None
    values = layout.others(raw)
    key: tuple[Any, ...] = (values, tuple(map(type, values)))
    if layout.crm:
        shape = _crm_shape(raw, layout)
        if shape is None:
            return None
        key += (shape,)
    try:
        t = layout.templates.get(key)
    except TypeError:
        return None
    if t is None:
        return None
    ident = raw["id"]
    if type(ident) is not str or not ident:
        return None
    if layout.has_amount:
        v = raw["amount"]
        amount = Decimal(v) if type(v) is str and _PLAIN_AMOUNT(v) else _amount(v)
        if amount is None:
            return None
    else:
        amount = ZERO
    if layout.has_scra:
        v = raw["scra"]
        scra = Decimal(v) if type(v) is str and _PLAIN_AMOUNT(v) else _amount(v)
        if scra is None or scra > amount or (scra and t.cls == "real_estate" and not t.defaulted):
            return None
    else:
        scra = ZERO
    if layout.has_off:
        v = raw["off_balance"]
        off = Decimal(v) if type(v) is str and _PLAIN_AMOUNT(v) else _amount(v)
        if off is None or (off and t.ccf_bucket is None):
            return None
    else:
        off = ZERO
    owed = property_value = None
    if layout.has_owed:
        v = raw["sme_total_owed"]
        owed = Decimal(v) if type(v) is str and _PLAIN_AMOUNT(v) else _amount(v, positive=True)
        if owed is None or not owed > 0:
            return None
    if layout.has_value:
        v = raw["property_value"]
        property_value = Decimal(v) if type(v) is str and _PLAIN_AMOUNT(v) else _amount(v, positive=True)
        if property_value is None or not property_value > 0:
            return None
    if layout.has_liens:
        v = raw["prior_liens"]
        liens = Decimal(v) if type(v) is str and _PLAIN_AMOUNT(v) else _amount(v)
        if liens is None:
            return None
    else:
        liens = ZERO
    guarantee, collateral = t.guarantee, t.collateral
    if layout.crm:
        if off:  # credit risk mitigation only without off_balance (and not defaulted: the template)
            return None
        if layout.has_guarantee:
            assert guarantee is not None  # a valid template with a guarantee object has one
            v = raw["guarantee"]["amount"]  # the template's guarantee has an amount
            covered = Decimal(v) if type(v) is str and _PLAIN_AMOUNT(v) else _amount(v)
            if covered is None or covered > amount - scra:
                return None
            guarantee = _new_exposure(Guarantee, (covered, guarantee.guarantor))
        if layout.has_collateral:
            assert collateral is not None
            v = raw["collateral"]["amount"]
            held = Decimal(v) if type(v) is str and _PLAIN_AMOUNT(v) else _amount(v)
            if held is None:
                return None
            collateral = _new_exposure(Collateral, (held, collateral.currency))
    # built directly: ``_replace`` costs several times a tuple (this runs per exposure)
    return _new_exposure(Exposure, (ident, t.cls, amount, scra, t.currency, off, t.ccf_bucket, t.defaulted,
                                    guarantee, collateral, t.sme_supporting_factor, owed, property_value, liens,
                                    t.profile))  # fmt: skip


def _slow(raw: object, path: str, errors: list[InputError], shapes: Shapes) -> Exposure | None:
    """:func:`_exposure`, whose valid exposures become templates in ``shapes``."""
    exposure = _exposure(raw, path, errors)
    if exposure is not None:
        assert type(raw) is dict
        _remember(raw, exposure, shapes)
    return exposure


def _checked(raw: object, path: str, errors: list[InputError], shapes: Shapes) -> Exposure | None:
    """:func:`_fast`, else :func:`_slow`."""
    return _fast(raw, shapes) or _slow(raw, path, errors, shapes)


def validate_exposure(
    raw: object, path: str = "", shapes: Shapes | None = None
) -> tuple[Exposure | None, list[InputError]]:
    """One exposure row (an import row, a scenario's edited exposure): the exposure or its problems.
    ``shapes`` (an empty dict at first, then the same one) speeds up rows alike."""
    errors: list[InputError] = []
    return _checked(raw, path, errors, shapes if shapes is not None else {}), errors


# --- sections -----------------------------------------------------------------------------------

_OWN_FUNDS_SIGNED = frozenset({"accumulated_oci", "cet1_other"})


def _decimals(
    r: _Reader, keys: tuple[str, ...], signed: frozenset[str] = frozenset(), default: Decimal | None = ZERO
) -> dict[str, Any]:
    r.only(frozenset(keys))
    return {k: r.dec(k, default, signed=k in signed) for k in keys}


def _category_map(r: _Reader, key: str, categories: tuple[str, ...]) -> dict[str, Decimal]:
    m = r.obj(key)
    if m is None:
        return {}
    values = _decimals(m, categories, default=None)
    return {k: v for k, v in values.items() if v is not None}


def _sections(r: _Reader) -> dict[str, Any]:
    out: dict[str, Any] = {}
    s = r.obj("own_funds")
    out["own_funds"] = None if s is None else OwnFunds(**_decimals(s, OwnFunds._fields, _OWN_FUNDS_SIGNED))
    s = r.obj("other_risks")
    if s is None:
        out["other_risks"] = None
    else:
        values = _decimals(s, OtherRisks._fields, default=None)
        if "operational_rwa" in s.data and "business_indicator" in s.data:
            s.fail("business_indicator", "exclusive", "not together with operational_rwa")
        out["other_risks"] = OtherRisks(**values)
    s = r.obj("output_floor")
    if s is None:
        out["output_floor"] = None
    else:
        s.only(frozenset(OutputFloor._fields))
        out["output_floor"] = OutputFloor(s.dec("u_trea", None), s.dec("s_trea", None), s.flag("transitional_cap"))
    s = r.obj("requirements")
    if s is None:
        out["requirements"] = None
    else:
        s.only(frozenset(Requirements._fields))
        rates = {k: s.dec(k, rate=True) for k in ("p2r", "ccyb", "syrb", "osii", "gsii")}
        out["requirements"] = Requirements(**rates, distributable_profits=s.dec("distributable_profits", None))  # type: ignore[arg-type]
    s = r.obj("leverage")
    if s is None:
        out["leverage"] = None
    else:
        s.only(frozenset(Leverage._fields))
        amounts = {k: s.dec(k) for k in ("on_balance", "derivatives", "sft", "deductions")}
        p2r = s.dec("p2r", rate=True)
        off = s.obj("off_balance")
        buckets: dict[int, Decimal] = {}
        if off is not None:
            off.only(frozenset("12345"), 'unknown field (CCF buckets are "1".."5")')
            for key in "12345":
                nominal = off.dec(key, None)
                if nominal is not None:
                    buckets[int(key)] = nominal
        out["leverage"] = Leverage(**amounts, p2r=p2r, off_balance=buckets)  # type: ignore[arg-type]
        if "own_funds" not in r.data:
            r.fail("leverage", "needs_own_funds", "needs own_funds (the ratio's numerator is Tier 1)")
    s = r.obj("lcr")
    if s is None:
        out["lcr"] = None
    else:
        s.only({"assets", "outflows", "inflows"})
        out["lcr"] = Liquidity(
            _category_map(s, "assets", ASSET_CATEGORIES),
            _category_map(s, "outflows", OUTFLOW_CATEGORIES),
            _category_map(s, "inflows", INFLOW_CATEGORIES),
        )
    s = r.obj("nsfr")
    if s is None:
        out["nsfr"] = None
    else:
        s.only({"asf", "rsf"})
        out["nsfr"] = Liquidity(_category_map(s, "asf", ASF_CATEGORIES), _category_map(s, "rsf", RSF_CATEGORIES), {})
    return out


_TOP = frozenset(
    {
        "id",
        "reference_date",
        "exposures",
        "own_funds",
        "other_risks",
        "output_floor",
        "requirements",
        "leverage",
        "lcr",
        "nsfr",
    }
)


def collect_errors(
    document: object, rule_set: RuleSet, path: str = "", known: Mapping[int, Exposure] | None = None
) -> tuple[CalculationInput | None, list[InputError]]:
    """The validated input, or every problem found (in document order, as far as they can be told).

    ``known`` maps ``id(exposure dict)`` to its already validated exposure, for documents that share
    unchanged exposure objects with one validated before (a shocked copy of a scenario's base)."""
    errors: list[InputError] = []
    if not isinstance(document, dict):
        errors.append(InputError(path or "input", "object", "must be a JSON object", document))
        return None, errors
    r = _Reader(_without_nulls(document), path, errors)
    r.only(_TOP)
    ident = r.data.get("id")
    if ident is not None and type(ident) is not str:
        r.fail("id", "string", "must be a string")
    day = _reference_date(r, rule_set)
    exposures: list[Exposure] = []
    raw = r.data.get("exposures", [])
    if not isinstance(raw, list):
        r.fail("exposures", "array", "must be an array")
        raw = []
    with cycle_collection_paused():
        _exposures(raw, _join(path, "exposures"), known, exposures, errors)
    sections = _sections(r)
    if errors or day is None:
        return None, errors
    return CalculationInput(ident, day, tuple(exposures), **sections), errors


def _exposures(
    raw: list[Any], prefix: str, known: Mapping[int, Exposure] | None, out: list[Exposure], errors: list[InputError]
) -> None:
    """Validate ``raw`` into ``out`` (the hot loop: the path of an exposure is only written for an error)."""
    seen: set[str] = set()
    shapes: Shapes = {}
    append, add, fast = out.append, seen.add, _fast
    for index, item in enumerate(raw):
        exposure = known.get(id(item)) if known is not None else None
        if exposure is None:
            exposure = fast(item, shapes) or _slow(item, f"{prefix}[{index}]", errors, shapes)
        if exposure is not None:
            if exposure.id in seen:
                where = f"{prefix}[{index}].id"
                errors.append(InputError(where, "unique", f"duplicate id {exposure.id!r}", exposure.id))
            add(exposure.id)
            append(exposure)


def _reference_date(r: _Reader, rule_set: RuleSet) -> date | None:
    value = r.data.get("reference_date", _MISSING)
    if value is _MISSING:
        r.fail("reference_date", "required", "is required")
        return None
    day = None
    if type(value) is str and _DATE_TEXT.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None:
        r.fail("reference_date", "date", "must be a date YYYY-MM-DD")
        return None
    if day < rule_set.effective_from:
        r.fail(
            "reference_date", "before_rule_set",
            f"must be on or after {rule_set.effective_from.isoformat()} (rule set {rule_set.code})",
        )  # fmt: skip
        return None
    return day


def revalidate(
    document: object, rule_set: RuleSet, base: CalculationInput, changed: Sequence[int]
) -> CalculationInput | None:
    """The validated input of ``document``, a copy of the document ``base`` was validated from whose
    exposures list keeps its length and order and whose exposures differ from the base's only at the
    indices ``changed`` (a shocked scenario copy): only those exposures and the sections are validated,
    the others are ``base``'s. None when that cannot tell the outcome alone — an exposure or a section
    with a problem, a changed id (its duplicates would need every id) — and the caller then validates
    the whole document (:func:`validate_input`), which reports every problem as usual."""
    if not isinstance(document, dict):
        return None
    raw = document.get("exposures")
    if not isinstance(raw, list) or len(raw) != len(base.exposures):
        return None
    exposures = list(base.exposures)
    errors: list[InputError] = []
    shapes: Shapes = {}
    with cycle_collection_paused():
        for index in changed:
            item = raw[index]
            exposure = _fast(item, shapes) or _slow(item, "", errors, shapes)
            if exposure is None or exposure.id != exposures[index].id:
                return None
            exposures[index] = exposure
    result, errors = collect_errors({k: v for k, v in document.items() if k != "exposures"}, rule_set)
    return None if result is None else result._replace(exposures=tuple(exposures))


def validate_input(
    document: object, rule_set: RuleSet, path: str = "", known: Mapping[int, Exposure] | None = None
) -> CalculationInput:
    """The validated calculation input, or :class:`InvalidInput` (its first error is the CLI's line)."""
    result, errors = collect_errors(document, rule_set, path, known)
    if result is None:
        raise InvalidInput(errors)
    return result
