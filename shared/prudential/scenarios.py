"""Scenarios: deterministic shocks, stored as data, applied to a calculation document; and what-if,
every output figure old / new / delta. Pure; nothing random.

A shock is a JSON object with a ``type``:

* ``scale_class`` {class, factor}: the exposure's amounts (amount, scra, off_balance, guarantee and
  collateral amounts) × factor, for every exposure of that input class;
* ``downgrade`` {notches, class?}: every rated ``cqs`` (the exposure's and its guarantor's) + notches,
  at most 6; unrated exposures stay unrated;
* ``scale_property_values`` {factor}: every real-estate ``property_value`` × factor;
* ``default`` {ids}: those exposures become defaulted (their guarantee and collateral are dropped:
  CRM on defaulted exposures is out of scope v1);
* ``set`` {path, value}: any input field, ``own_funds.cet1_instruments``, ``lcr.outflows.other``,
  ``exposures[id=e1].cqs``, ``exposures[class=retail].currency_mismatch``, ``exposures[*].currency``;
  ``null`` removes the field;
* ``scale_lcr_outflows`` {factor, categories?}: LCR outflow amounts × factor.

Shocks apply in order. Scaled amounts are rounded half away from zero to 8 decimals (the input
format's precision). The shocked document goes through the same validator as any input.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from shared.prudential.engine import ExposureResults, calculate, exposure_to_json, result_to_json
from shared.prudential.models import (
    EXPOSURE_CLASSES,
    OUTFLOW_CATEGORIES,
    ExposureResult,
    InputError,
    InvalidInput,
    Result,
    revalidate,
    validate_input,
)
from shared.prudential.numbers import EXACT, cycle_collection_paused
from shared.prudential.rules import RuleSet

__all__ = ["SHOCK_TYPES", "apply_shocks", "compare", "validate_shocks", "what_if"]

_EIGHT = Decimal("0.00000001")
_SELECTOR = re.compile(r"^exposures\[(?:id=(?P<id>[^\]]+)|class=(?P<cls>[a-z_]+)|(?P<all>\*))\]$")
_NAME = re.compile(r"^[a-z0-9_]+$")
_SCALED_FIELDS = ("amount", "scra", "off_balance")
SHOCK_TYPES = ("scale_class", "downgrade", "scale_property_values", "default", "set", "scale_lcr_outflows")
_FIELDS = {
    "scale_class": ({"type", "class", "factor"}, {"class", "factor"}),
    "downgrade": ({"type", "notches", "class"}, {"notches"}),
    "scale_property_values": ({"type", "factor"}, {"factor"}),
    "default": ({"type", "ids"}, {"ids"}),
    "set": ({"type", "path", "value"}, {"path"}),
    "scale_lcr_outflows": ({"type", "factor", "categories"}, {"factor"}),
}


def _factor(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d{1,8})?", value)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        return None
    return number if number.is_finite() and number >= 0 and number <= 1000 else None


def validate_shocks(shocks: object, path: str = "shocks") -> list[dict[str, Any]]:
    """The shocks, checked (``InvalidInput`` naming the first bad field, e.g. ``shocks[1].factor``)."""
    errors: list[InputError] = []
    if not isinstance(shocks, list):
        raise InvalidInput([InputError(path, "array", "must be an array of shocks", shocks)])
    for index, shock in enumerate(shocks):
        where = f"{path}[{index}]"
        if not isinstance(shock, dict):
            errors.append(InputError(where, "object", "must be a JSON object", shock))
            continue
        kind = shock.get("type")
        if kind not in _FIELDS:
            errors.append(InputError(f"{where}.type", "choice", "must be one of " + ", ".join(SHOCK_TYPES), kind))
            continue
        allowed, required = _FIELDS[kind]
        for key in shock:
            if key not in allowed:
                errors.append(
                    InputError(f"{where}.{key}", "unknown_field", f"unknown field (not listed for {kind})", shock[key])
                )
        for key in sorted(required - shock.keys()):
            errors.append(InputError(f"{where}.{key}", "required", "is required"))
        if "factor" in shock and _factor(shock["factor"]) is None:
            errors.append(
                InputError(f"{where}.factor", "factor", "must be a decimal between 0 and 1000", shock["factor"])
            )
        if "class" in shock and shock["class"] not in EXPOSURE_CLASSES:
            errors.append(InputError(f"{where}.class", "choice", "must be an exposure class", shock["class"]))
        notches = shock.get("notches", 1)
        if kind == "downgrade" and (type(notches) is not int or not 1 <= notches <= 5):
            errors.append(InputError(f"{where}.notches", "integer_range", "must be an integer 1..5", notches))
        ids = shock.get("ids", [])
        if kind == "default" and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
            errors.append(InputError(f"{where}.ids", "array", "must be an array of exposure ids", ids))
        categories = shock.get("categories", list(OUTFLOW_CATEGORIES))
        if not isinstance(categories, list) or not set(categories) <= set(OUTFLOW_CATEGORIES):
            errors.append(InputError(f"{where}.categories", "choice", "must list LCR outflow categories", categories))
        if kind == "set" and "path" in shock and not _valid_path(shock["path"]):
            errors.append(
                InputError(
                    f"{where}.path",
                    "path",
                    "must be a field path like own_funds.cet1_instruments or exposures[id=e1].cqs",
                    shock["path"],
                )
            )
    if errors:
        raise InvalidInput(errors)
    return shocks


def _valid_path(path: object) -> bool:
    if not isinstance(path, str) or not path:
        return False
    segments = path.split(".")
    if segments[0].startswith("exposures"):
        return (
            _SELECTOR.match(segments[0]) is not None
            and len(segments) >= 2
            and all(_NAME.match(s) for s in segments[1:])
        )
    return all(_NAME.match(s) for s in segments)


def _scaled(value: object, factor: Decimal) -> object:
    if value is None or isinstance(value, bool):
        return value
    number = (
        Decimal(repr(value))
        if isinstance(value, float)
        else Decimal(value)
        if isinstance(value, int | Decimal | str)
        else None
    )
    if number is None or not number.is_finite():
        return value  # not a number: the validator reports it
    return format((number * factor).quantize(_EIGHT, ROUND_HALF_UP, EXACT).normalize(EXACT), "f")


def _exposures(document: dict[str, Any], wanted: Callable[[dict[str, Any]], bool]) -> Iterator[dict[str, Any]]:
    """The exposures a shock changes (``wanted``), each as its own copy when the list is tracked."""
    items = document.get("exposures")
    if not isinstance(items, list):
        return
    for index, item in enumerate(list.__iter__(items)):
        if isinstance(item, dict) and wanted(item):
            yield items.writable(index) if isinstance(items, _Tracked) else item


def _copy(value: Any) -> Any:
    """A copy of JSON data (dicts and lists copied, leaves shared: they are immutable). A plain dict
    is copied whole (``dict.copy``, in C), then its nested dicts and lists replaced by their copies."""
    if type(value) is dict:
        out = value.copy()
        for key, item in value.items():
            if isinstance(item, _CONTAINERS):
                out[key] = _copy(item)
        return out
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


_CONTAINERS = (dict, list)


class _Tracked(list[Any]):
    """The exposures of a shocked document: an exposure is deep-copied the first time a shock writes
    to it; the others stay the base document's objects (what-if reuses their validation)."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__(items)
        self.copied: set[int] = set()

    def writable(self, index: int) -> Any:
        if index not in self.copied:
            self.copied.add(index)
            self[index] = _copy(list.__getitem__(self, index))
        return list.__getitem__(self, index)


def _select(document: dict[str, Any], head: str) -> Iterator[dict[str, Any]]:
    match = _SELECTOR.match(head)
    assert match is not None

    def wanted(e: dict[str, Any]) -> bool:
        return bool(match["all"] or e.get("id") == match["id"] or (match["cls"] and e.get("class") == match["cls"]))

    yield from _exposures(document, wanted)


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    segments = path.split(".")
    targets: list[dict[str, Any]]
    if segments[0].startswith("exposures"):
        targets, segments = list(_select(document, segments[0])), segments[1:]
    else:
        targets = [document]
    for target in targets:
        node = target
        for name in segments[:-1]:
            child = node.get(name)
            if not isinstance(child, dict):
                child = node[name] = {}
            node = child
        if value is None:
            node.pop(segments[-1], None)
        else:
            node[segments[-1]] = copy.deepcopy(value)


def _scale_exposure(exposure: dict[str, Any], factor: Decimal) -> None:
    for key in _SCALED_FIELDS:
        if key in exposure:
            exposure[key] = _scaled(exposure[key], factor)
    for key in ("guarantee", "collateral"):
        part = exposure.get(key)
        if isinstance(part, dict) and "amount" in part:
            part["amount"] = _scaled(part["amount"], factor)


def _downgrade(node: dict[str, Any], notches: int) -> None:
    cqs = node.get("cqs")
    if type(cqs) is int and 1 <= cqs <= 6:
        node["cqs"] = min(cqs + notches, 6)


def _rated(exposure: dict[str, Any]) -> bool:
    guarantee = exposure.get("guarantee")
    guarantor = guarantee.get("guarantor") if isinstance(guarantee, dict) else None
    return "cqs" in exposure or (isinstance(guarantor, dict) and "cqs" in guarantor)


def _apply(document: dict[str, Any], shock: Mapping[str, Any]) -> None:
    kind = shock["type"]
    factor = _factor(shock.get("factor", 1)) or Decimal(0)
    if kind == "scale_class":
        for exposure in _exposures(document, lambda e: e.get("class") == shock["class"]):
            _scale_exposure(exposure, factor)
    elif kind == "downgrade":
        for exposure in _exposures(document, lambda e: shock.get("class") in (None, e.get("class")) and _rated(e)):
            _downgrade(exposure, shock["notches"])
            guarantee = exposure.get("guarantee")
            if isinstance(guarantee, dict) and isinstance(guarantee.get("guarantor"), dict):
                _downgrade(guarantee["guarantor"], shock["notches"])
    elif kind == "scale_property_values":
        for exposure in _exposures(document, lambda e: e.get("class") == "real_estate" and "property_value" in e):
            exposure["property_value"] = _scaled(exposure["property_value"], factor)
    elif kind == "default":
        wanted = set(shock["ids"])
        for exposure in _exposures(document, lambda e: e.get("id") in wanted):
            exposure["defaulted"] = True
            exposure.pop("guarantee", None)
            exposure.pop("collateral", None)
    elif kind == "set":
        _set(document, shock["path"], shock.get("value"))
    elif kind == "scale_lcr_outflows":
        lcr = document.get("lcr")
        outflows = lcr.get("outflows") if isinstance(lcr, dict) else None
        if isinstance(outflows, dict):
            chosen = set(shock.get("categories", OUTFLOW_CATEGORIES))
            for key in list(outflows):
                if key in chosen:
                    outflows[key] = _scaled(outflows[key], factor)


def apply_shocks(document: Mapping[str, Any], shocks: list[dict[str, Any]]) -> dict[str, Any]:
    """A new document: ``document`` with ``shocks`` applied in order (the input is not modified).

    Copy on write: sections are copied, an exposure only when a shock changes it, so unchanged
    exposure objects are shared with ``document``."""
    return _shocked(document, shocks)[0]


def _shocked(document: Mapping[str, Any], shocks: list[dict[str, Any]]) -> tuple[dict[str, Any], list[int] | None]:
    """:func:`apply_shocks`, and the indices of the exposures a shock wrote to, in order (None when the
    document's exposures are not a list)."""
    validate_shocks(shocks)
    shocked: dict[str, Any] = {k: copy.deepcopy(v) for k, v in document.items() if k != "exposures"}
    originals = document.get("exposures")
    if "exposures" in document:
        shocked["exposures"] = _Tracked(originals) if isinstance(originals, list) else copy.deepcopy(originals)
    for shock in shocks:
        _apply(shocked, shock)
    items = shocked.get("exposures")
    if isinstance(items, _Tracked):
        shocked["exposures"] = list(items)
        return shocked, sorted(items.copied)
    return shocked, None


# --- what-if ------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^-?\d+\.\d+$")


def _delta(old: object, new: object) -> dict[str, Any]:
    if isinstance(old, str) and isinstance(new, str) and _NUMBER.match(old) and _NUMBER.match(new):
        if old == new:
            zero = "0." + "0" * (len(old) - old.index(".") - 1)
            return {"old": old, "new": new, "delta": zero}
        with localcontext(EXACT):
            difference = Decimal(new) - Decimal(old)
        return {"old": old, "new": new, "delta": format(difference, "f")}
    return {"old": old, "new": new, "delta": None}


def _walk(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        return {key: _walk(old.get(key), new.get(key)) for key in sorted(old.keys() | new.keys())}
    if isinstance(old, list) and isinstance(new, list):
        length = max(len(old), len(new))
        return [_walk(old[i] if i < len(old) else None, new[i] if i < len(new) else None) for i in range(length)]
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return {"old": old, "new": new, "delta": None}
    return _delta(old, new)


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Every figure of two results (the contract JSON) as {old, new, delta}: the same tree with each
    leaf replaced; exposures matched by id (an exposure on one side only has nulls on the other);
    delta is new − old of the output values (null for texts, flags and absent values)."""
    old_exposures = {e["id"]: e for e in old.get("exposures") or []}
    new_exposures = {e["id"]: e for e in new.get("exposures") or []}
    order = list(old_exposures) + [i for i in new_exposures if i not in old_exposures]
    figures = {k: _walk(old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys()) if k != "exposures"}
    figures["exposures"] = [_walk(old_exposures.get(i, {}), new_exposures.get(i, {})) for i in order]
    return figures


def what_if(
    document: Mapping[str, Any],
    shocks: list[dict[str, Any]],
    rule_set: RuleSet,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every figure of the base and the shocked calculation as {old, new, delta}.

    ``figures`` holds every section of the result (credit risk by class, TREA, capital, leverage,
    LCR, NSFR) in full; ``figures.exposures`` lists, in input order, every exposure whose input the
    shocks changed, each with all its figures (parts and rule included); exposures left unchanged have
    identical figures and are only counted (``unchanged_exposures``). ``base`` (the stored result of
    ``document``) is used for the sections when given. ``InvalidInput`` if a shock or the shocked
    document is invalid (paths ``shocks[i]…`` / ``shocked.…``)."""
    with cycle_collection_paused():  # a third of the time otherwise (see the function)
        return _what_if(document, shocks, rule_set, base)


def _what_if(
    document: Mapping[str, Any], shocks: list[dict[str, Any]], rule_set: RuleSet, base: Mapping[str, Any] | None
) -> dict[str, Any]:
    validated = validate_input(document, rule_set)
    shocked, copied = _shocked(document, shocks)
    # Only the exposures a shock wrote to (``copied``) are validated again: the others are the base
    # document's objects, already validated. Any problem, and the rare cases the shortcut cannot judge
    # alone, go through the whole validator (the same input, or every error as usual).
    new_input = revalidate(shocked, rule_set, validated, copied) if copied is not None else None
    if new_input is None:
        raw = document.get("exposures")
        items = raw if isinstance(raw, list) else []
        known = {id(item): e for item, e in zip(items, validated.exposures, strict=False)}
        try:
            new_input = validate_input(shocked, rule_set, known=known)
        except InvalidInput as exc:
            raise InvalidInput([e._replace(path=f"shocked.{e.path}") for e in exc.errors]) from exc
    # the exposures the shocks changed (their results are read below): identity, not equality
    unchanged = validated.exposures
    edited = copied if copied is not None else range(len(unchanged))
    kept = {id(new_input.exposures[i]) for i in edited if new_input.exposures[i] is not unchanged[i]}
    try:
        new = calculate(new_input, rule_set, kept=kept)
    except InvalidInput as exc:
        raise InvalidInput([e._replace(path=f"shocked.{e.path}") for e in exc.errors]) from exc
    # The base result, when given, is the stored result of ``document`` (the same bytes the engine
    # gives): its sections and its per-exposure figures are the old side, and the old calculation is
    # only run without it (or for an exposure the base does not hold at its place).
    old: Result | None = None if base is not None else calculate(validated, rule_set)
    old_json = dict(base) if base is not None else _sections(old) if old is not None else {}
    old_json.pop("exposures", None)
    stored = base.get("exposures") if base is not None else None
    stored = stored if isinstance(stored, list) and len(stored) == len(validated.exposures) else None
    new_json = _sections(new)
    keys = sorted((new_json.keys() | old_json.keys()) - {"exposures"})
    figures = {k: _walk(old_json.get(k), new_json.get(k)) for k in keys}
    same_date = validated.reference_date == new_input.reference_date
    # Another reference date may change any exposure's weight (phase-ins): every one is compared then.
    # Otherwise only an exposure a shock wrote to can differ (the others are the same objects).
    shocked_exposures = new_input.exposures
    changed = [i for i in edited if unchanged[i] != shocked_exposures[i]] if same_date else list(range(len(unchanged)))
    rows: list[dict[str, Any]] = []
    memo: dict[tuple[str, str], str] = {}
    with localcontext(EXACT):
        for i, result in zip(changed, _picked(new.exposures, changed), strict=True):
            before = stored[i] if stored is not None else None
            if not isinstance(before, dict) or before.get("id") != validated.exposures[i].id:
                old = old if old is not None else calculate(validated, rule_set)
                before = exposure_to_json(old.exposures[i])
            if same_date:
                rows.append(_exposure_row(before, result, memo))
                continue
            after = exposure_to_json(result)
            if before != after:
                rows.append(_exposure_figures(before, after))
    figures["exposures"] = rows
    return {
        "rule_set": rule_set.code,
        "shocks": shocks,
        "unchanged_exposures": len(new_input.exposures) - len(rows),
        "figures": figures,
    }


_TEXTS = ("class", "id", "reporting_class", "rule")
_FIGURES = ("exposure_value", "original_exposure", "risk_weight", "rwa", "rwa_pre_sf")
_PART_FIGURES = ("exposure_value", "risk_weight", "rwa", "rwa_pre_sf")


_ZEROS = {2: "0.00", 6: "0.000000"}


def _figure(old: str | None, new: str | None) -> dict[str, Any]:
    """:func:`_delta` for output values known to be ``None`` or a fixed-point number (the hot path;
    call inside ``localcontext(EXACT)``)."""
    if old is None or new is None:
        return {"old": old, "new": new, "delta": None}
    if old == new:
        places = len(old) - old.index(".") - 1
        return {"old": old, "new": new, "delta": _ZEROS.get(places) or "0." + "0" * places}
    return {"old": old, "new": new, "delta": format(Decimal(new) - Decimal(old), "f")}


def _exposure_figures(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """:func:`_walk` of two exposure results, specialised to their known shape (the hot path; inside
    ``localcontext(EXACT)``)."""
    out: dict[str, Any] = {key: {"old": old[key], "new": new[key], "delta": None} for key in _TEXTS}
    for key in _FIGURES:
        out[key] = _figure(old[key], new[key])
    old_parts, new_parts = old["parts"], new["parts"]
    parts = []
    for index in range(max(len(old_parts), len(new_parts))):
        before = old_parts[index] if index < len(old_parts) else None
        after = new_parts[index] if index < len(new_parts) else None
        if before is None or after is None:
            parts.append(_walk(before, after))
            continue
        part = {key: _figure(before[key], after[key]) for key in _PART_FIGURES}
        part["reporting_class"] = {"old": before["reporting_class"], "new": after["reporting_class"], "delta": None}
        parts.append(part)
    out["parts"] = parts
    return out


def _exposure_row(old: dict[str, Any], r: ExposureResult, memo: dict[tuple[str, str], str]) -> dict[str, Any]:
    """``_exposure_figures(old, exposure_to_json(r))`` in one pass (the hot path of a what-if; inside
    ``localcontext(EXACT)``): the new figures are rendered as :func:`exposure_to_json` renders them
    (half away from zero, the context's rounding; never negative zero), a figure equal to one
    already rendered for this exposure reuses its text, and each delta is computed once per distinct
    (old, new) pair of texts (``memo``, for one what-if: risk weights repeat across exposures, and
    within one exposure rwa_pre_sf is rwa and a single part's figures are the exposure's)."""
    ev, pre, rwa = r.exposure_value, r.rwa_pre_sf, r.rwa
    ev_text = _amount(ev)
    pre_text = _amount(pre)
    rwa_text = pre_text if rwa == pre else _amount(rwa)
    oe_text = ev_text if r.original_exposure == ev else _amount(r.original_exposure)
    rw_text = _rate(pre / ev) if ev else None
    out: dict[str, Any] = {
        "class": {"old": old["class"], "new": r.cls, "delta": None},
        "id": {"old": old["id"], "new": r.id, "delta": None},
        "reporting_class": {"old": old["reporting_class"], "new": r.reporting_class, "delta": None},
        "rule": {"old": old["rule"], "new": r.rule, "delta": None},
        "exposure_value": _pair(old["exposure_value"], ev_text, memo, _ZERO_AMOUNT),
        "original_exposure": _pair(old["original_exposure"], oe_text, memo, _ZERO_AMOUNT),
        "risk_weight": _pair(old["risk_weight"], rw_text, memo, _ZERO_RATE),
        "rwa": _pair(old["rwa"], rwa_text, memo, _ZERO_AMOUNT),
        "rwa_pre_sf": _pair(old["rwa_pre_sf"], pre_text, memo, _ZERO_AMOUNT),
    }
    old_parts, new_parts = old["parts"], r.parts
    parts = []
    for index in range(max(len(old_parts), len(new_parts))):
        before = old_parts[index] if index < len(old_parts) else None
        p = new_parts[index] if index < len(new_parts) else None
        if p is None:
            parts.append(_walk(before, None))
            continue
        p_ev = ev_text if p.exposure_value == ev else _amount(p.exposure_value)
        p_pre = pre_text if p.rwa_pre_sf == pre else _amount(p.rwa_pre_sf)
        p_rwa = rwa_text if p.rwa == rwa else p_pre if p.rwa == p.rwa_pre_sf else _amount(p.rwa)
        p_rw = _rate(p.risk_weight)
        if before is None:
            after = {"reporting_class": p.reporting_class, "exposure_value": p_ev, "risk_weight": p_rw,
                     "rwa_pre_sf": p_pre, "rwa": p_rwa}  # fmt: skip
            parts.append(_walk(None, after))
            continue
        parts.append(
            {
                "exposure_value": _pair(before["exposure_value"], p_ev, memo, _ZERO_AMOUNT),
                "risk_weight": _pair(before["risk_weight"], p_rw, memo, _ZERO_RATE),
                "rwa": _pair(before["rwa"], p_rwa, memo, _ZERO_AMOUNT),
                "rwa_pre_sf": _pair(before["rwa_pre_sf"], p_pre, memo, _ZERO_AMOUNT),
                "reporting_class": {"old": before["reporting_class"], "new": p.reporting_class, "delta": None},
            }
        )
    out["parts"] = parts
    return out


_ZERO_AMOUNT, _ZERO_RATE = _ZEROS[2], _ZEROS[6]


def _pair(old: str | None, new: str | None, memo: dict[tuple[str, str], str], zero: str) -> dict[str, Any]:
    """:func:`_figure` of a new figure rendered by :func:`_amount` (``zero`` "0.00") or :func:`_rate`
    ("0.000000"): equal texts have that many places; other deltas are memoised in ``memo``."""
    if old == new:
        return {"old": old, "new": new, "delta": None if new is None else zero}
    if old is None or new is None:
        return {"old": old, "new": new, "delta": None}
    key = (old, new)
    delta = memo.get(key)
    if delta is None:
        delta = memo[key] = format(Decimal(new) - Decimal(old), "f")
    return {"old": old, "new": new, "delta": delta}


def _amount(value: Decimal) -> str:
    """:func:`shared.prudential.numbers.amount` inside ``localcontext(EXACT)`` (its rounding, half
    away from zero, is the context's: ``format`` rounds as ``quantize`` would)."""
    text = format(value, ".2f")
    return "0.00" if text == "-0.00" else text


def _rate(value: Decimal) -> str:
    """:func:`shared.prudential.numbers.rate` inside ``localcontext(EXACT)``."""
    text = format(value, ".6f")
    return "0.000000" if text == "-0.000000" else text


def _picked(results: Sequence[ExposureResult], indices: list[int]) -> Iterable[ExposureResult]:
    if isinstance(results, ExposureResults):
        return results.picked(indices)
    return (results[i] for i in indices)


def _sections(result: Result) -> dict[str, Any]:
    """The result's JSON without the per-exposure list (the sections every what-if shows in full)."""
    return result_to_json(result._replace(exposures=()))
