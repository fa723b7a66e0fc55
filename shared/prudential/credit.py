"""Credit risk (SA-CR) of one exposure: risk weights by class, CCF, CRM, loan splitting, defaults and
the SME supporting factor. Pure and exact; called once per exposure by :mod:`engine`.

The obligor risk weight of a :class:`Profile` does not depend on amounts, so the engine caches it
(with the text of the rule applied) per profile for a calculation; real estate and defaults, which
depend on amounts, are computed per exposure.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.prudential.models import Exposure, ExposureResult, PartResult, Profile
from shared.prudential.rules import Parameters

__all__ = ["PART_KINDS", "Weigher", "pct"]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
PART_KINDS = ("guaranteed", "obligor", "secured", "unsecured", "defaulted")
_SHORT_LABELS = {
    "object": "object finance",
    "commodities": "commodities finance",
    "project_pre_operational": "project finance, pre-operational",
    "project_operational": "project finance, operational",
    "project_high_quality": "project finance, high-quality operational",
}
_RELIEF = " (residential, pre-sales/equity condition met)"


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


_CLASS_ARTICLE = {"rgla": "Art. 115", "pse": "Art. 116"}
_CCF_ITEMS = {1: "full-risk item", 2: "medium-risk item", 3: "other commitment", 4: "trade L/C", 5: "UCC"}


def pct(rate: Decimal) -> str:
    """0.75 → "75 %", 1.125 → "112.5 %" (for rule texts)."""
    text = format((rate * HUNDRED).normalize(), "f")
    return f"{text} %"


class Weigher:
    """Risk weights and texts for one calculation (one set of parameters), with per-profile caches."""

    def __init__(self, params: Parameters) -> None:
        self.p = params
        self.ccf = {int(k): v for k, v in params["ccf"].items()}
        self.fx_haircut = params.get("crm", "fx_haircut")
        sme = params["sme_supporting_factor"]
        self.sme_threshold = sme["threshold"]
        self.sme_low, self.sme_high = sme["factor_up_to_threshold"], sme["factor_above_threshold"]
        self.mismatch_multiplier = params.get("currency_mismatch", "multiplier")
        self.mismatch_cap = params.get("currency_mismatch", "cap")
        self.year = params.reference_date.year
        self._bounds = {
            name: (sorted((Decimal(k), v) for k, v in params[name].items() if k != "above"), params[name]["above"])
            for name in ("rw_residential_ipre", "rw_commercial_ipre")
        }
        self._texts: dict[tuple[Any, ...], str] = {}
        self._profiles: dict[Profile, tuple[Decimal, str]] = {}
        self._simple: dict[tuple[Profile, int | None], tuple[Decimal, str, str]] = {}

    # --- obligor risk weights -------------------------------------------------------------------

    def obligor(self, profile: Profile) -> tuple[Decimal, str]:
        """Risk weight and rule text of an obligor or guarantor (not real estate: see ``real_estate``)."""
        found = self._profiles.get(profile)
        if found is None:
            found = self._profiles[profile] = self._obligor(profile)
        return found

    def _obligor(self, f: Profile) -> tuple[Decimal, str]:
        p, cls = self.p, f.cls
        if cls in ("rgla", "pse"):
            inner = f._replace(cls=f.treat_as or "institution")
            rw, text = self._obligor(inner)
            return rw, f"{_CLASS_ARTICLE[cls]}: treated as {f.treat_as.replace('_', ' ') if f.treat_as else ''}; {text}"
        if cls == "central_government":
            if f.domestic_currency:
                return p.get("rw_central_government", "domestic_currency"), "Art. 114(4): domestic currency → " + pct(
                    p.get("rw_central_government", "domestic_currency")
                )
            key = str(f.cqs) if f.cqs else "unrated"
            rw = p.get("rw_central_government", key)
            return rw, f"Art. 114(2) Table 1: {'CQS ' + key if f.cqs else 'unrated'} → {pct(rw)}"
        if cls in ("mdb", "international_organisation"):
            rw = p.get(f"rw_{cls}", "all")
            return rw, (
                "Art. 117(2): multilateral development bank" if cls == "mdb" else "Art. 118: international organisation"
            ) + f" → {pct(rw)}"
        if cls == "institution":
            return self._institution(f)
        if cls == "corporate":
            return self._corporate(f)
        if cls == "retail":
            rw = p.get("rw_retail", f.retail_type)
            article = {"regulatory": "Art. 123(1): regulatory retail", "transactor": "Art. 123(3): transactor",
                       "other": "Art. 123(4): retail not meeting the regulatory criteria"}[f.retail_type]  # fmt: skip
            text = f"{article} → {pct(rw)}"
            if f.currency_mismatch:
                rw, extra = self.mismatch(rw)
                text += extra
            return rw, text
        if cls == "adc":
            key = "residential_relief" if f.residential_relief else "standard"
            rw = p.get("rw_adc", key)
            return (
                rw,
                f"Art. 126a: ADC{_RELIEF if f.residential_relief else ''} → {pct(rw)}",
            )
        if cls == "subordinated_debt":
            rw = p.get("rw_subordinated_debt", "all")
            return rw, f"Art. 128: subordinated debt → {pct(rw)}"
        if cls == "equity":
            key = "higher_risk" if f.higher_risk else "standard"
            rw = p.get("rw_equity", key)
            kind = "higher-risk equity" if f.higher_risk else "equity"
            return rw, f"Art. 133, phase-in Art. 495a ({self.year}): {kind} → {pct(rw)}"
        if cls == "covered_bond":
            if f.cqs is not None:
                rw = p.get("rw_covered_bond", str(f.cqs))
                return rw, f"Art. 129(4): CQS {f.cqs} → {pct(rw)}"
            issuer = f.issuer_risk_weight or ONE
            rw = p.get("rw_covered_bond_unrated", format(issuer.normalize(), "f"))
            return rw, f"Art. 129(5): unrated, issuer risk weight {pct(issuer)} → {pct(rw)}"
        if cls == "other_items":
            key = f.item_type or "other"
            rw = p.get("rw_other_items", key)
            return rw, f"Art. 134: {key.replace('_', ' ')} → {pct(rw)}"
        raise ValueError(f"no obligor risk weight for class {cls}")

    def _institution(self, f: Profile) -> tuple[Decimal, str]:
        p = self.p
        if f.cqs is not None:
            table = "rw_institution_short" if f.short_term else "rw_institution"
            rw = p.get(table, str(f.cqs))
            return rw, f"Art. 120 Table {'2 (short-term)' if f.short_term else '1'}: CQS {f.cqs} → {pct(rw)}"
        grade = f.scra_grade or "C"
        if f.short_term:
            rw = p.get("rw_institution_scra_short", grade)
            return rw, f"Art. 121(3): unrated, SCRA grade {grade}, short-term → {pct(rw)}"
        enhanced = p["institution_grade_a_enhanced"]
        if (
            grade == "A" and f.cet1_ratio is not None and f.leverage_ratio is not None
            and f.cet1_ratio >= enhanced["cet1_ratio"] and f.leverage_ratio >= enhanced["leverage_ratio"]
        ):  # fmt: skip
            rw = p.get("rw_institution_scra", "A_enhanced")
            return rw, (
                f"Art. 121(5): unrated, SCRA grade A, CET1 ratio ≥ {pct(enhanced['cet1_ratio'])} and leverage ratio "
                f"≥ {pct(enhanced['leverage_ratio'])} → {pct(rw)}"
            )
        rw = p.get("rw_institution_scra", grade)
        return rw, f"Art. 121(1): unrated, SCRA grade {grade} → {pct(rw)}"

    def _corporate(self, f: Profile) -> tuple[Decimal, str]:
        p = self.p
        if f.cqs is not None:
            rw = p.get("rw_corporate", str(f.cqs))
            return rw, f"Art. 122(1) Table 6: CQS {f.cqs} → {pct(rw)}"
        if f.specialised_lending is not None:
            rw = p.get("rw_specialised_lending", f.specialised_lending)
            return rw, f"Art. 122a(3): unrated specialised lending, {_SHORT_LABELS[f.specialised_lending]} → {pct(rw)}"
        rw = p.get("rw_corporate", "unrated")
        if f.sovereign_cqs is not None:
            sovereign = p.get("rw_central_government", str(f.sovereign_cqs))
            chosen = max(rw, sovereign)
            return chosen, (
                f"Art. 122(2): unrated, max({pct(rw)}, sovereign CQS {f.sovereign_cqs} {pct(sovereign)})"
                f" → {pct(chosen)}"
            )
        return rw, f"Art. 122(2): unrated → {pct(rw)}"

    def mismatch(self, rw: Decimal) -> tuple[Decimal, str]:
        weighted = min(rw * self.mismatch_multiplier, self.mismatch_cap)
        return (
            weighted,
            f", currency mismatch Art. 123a × {_plain(self.mismatch_multiplier)} (cap {pct(self.mismatch_cap)})"
            f" → {pct(weighted)}",
        )

    # --- one exposure ---------------------------------------------------------------------------

    def ccf_text(self, bucket: int, ccf: Decimal) -> str:
        key = ("ccf", bucket, ccf)
        found = self._texts.get(key)
        if found is None:
            found = self._texts[key] = self._ccf_text(bucket, ccf)
        return found

    def _ccf_text(self, bucket: int, ccf: Decimal) -> str:
        transitional = ", Art. 495d" if bucket == 5 else ""
        return f"; off-balance CCF {pct(ccf)} (Annex I bucket {bucket}, {_CCF_ITEMS[bucket]}{transitional})"

    def simple(self, profile: Profile, bucket: int | None) -> tuple[Decimal, str, str]:
        """(risk weight, rule text, reporting class) of an exposure without CRM, default, SME or real estate."""
        key = (profile, bucket)
        found = self._simple.get(key)
        if found is None:
            rw, text = self.obligor(profile)
            if bucket is not None:
                text += self.ccf_text(bucket, self.ccf[bucket])
            found = self._simple[key] = (rw, text, "real_estate" if profile.cls == "adc" else profile.cls)
        return found

    def result(self, e: Exposure) -> ExposureResult:
        """One exposure's full result (with its rule text)."""
        if (
            e.defaulted or e.guarantee is not None or e.collateral is not None or e.sme_supporting_factor
            or e.profile.cls == "real_estate"
        ):  # fmt: skip
            return self.weigh(e)
        bucket = e.ccf_bucket if e.off_balance else None
        rw, text, home = self.simple(e.profile, bucket)
        factor = self.ccf[bucket] if bucket is not None else ZERO
        ev = e.amount - e.scra + e.off_balance * factor
        rwa = ev * rw
        return ExposureResult(
            e.id, e.cls, home, e.amount + e.off_balance, ev, rwa, rwa, (PartResult(home, ev, rw, rwa, rwa, "obligor"),),
            text, e.amount, e.scra, e.off_balance, e.ccf_bucket, factor, ZERO, ZERO, False, False,
        )  # fmt: skip

    def sme_numerator(self, owed: Decimal) -> Decimal:
        """0.7619 × min(T, 2.5 m) + 0.85 × max(T − 2.5 m, 0): the SME factor is this / T."""
        threshold = self.sme_threshold
        return self.sme_low * min(owed, threshold) + self.sme_high * max(owed - threshold, ZERO)

    def weigh(self, e: Exposure) -> ExposureResult:
        """The full treatment of one exposure (the engine's fast path handles the simple ones)."""
        f = e.profile
        net = e.amount - e.scra
        ccf = self.ccf[e.ccf_bucket] if e.off_balance and e.ccf_bucket is not None else ZERO
        off = e.off_balance * ccf
        home = "real_estate" if f.cls == "adc" else f.cls
        notes: list[str] = []
        if e.defaulted:
            ev = net + off
            rw, text = self._default_rw(e)
            single = (PartResult("in_default", ev, rw, ev * rw, ev * rw, "defaulted"),)
            if off:
                text += self.ccf_text(e.ccf_bucket or 0, ccf)
            if e.sme_supporting_factor:
                text += "; SME supporting factor not applied to defaulted exposures"
            return ExposureResult(
                e.id, f.cls, "in_default", e.amount + e.off_balance, ev, ev * rw, ev * rw, single, text,
                e.amount, e.scra, e.off_balance, e.ccf_bucket, ccf, ZERO, ZERO, False, True,
            )  # fmt: skip
        head: list[PartResult] = []
        guaranteed = adjusted = ZERO
        if e.guarantee is not None:
            guaranteed = e.guarantee.amount
            grw, gtext = self.obligor(e.guarantee.guarantor)
            head.append(
                PartResult(e.guarantee.guarantor.cls, guaranteed, grw, guaranteed * grw, guaranteed * grw, "guaranteed")
            )
            notes.append(
                f"guarantee Art. 235 substitution, {e.guarantee.guarantor.cls.replace('_', ' ')} guarantor: {gtext}"
            )
        if e.collateral is not None:
            haircut = self.fx_haircut if e.collateral.currency != e.currency else ZERO
            adjusted = e.collateral.amount * (ONE - haircut)
            notes.append(
                f"cash collateral Art. 223 comprehensive method, Hc 0 %, Hfx {pct(haircut)}"
                + (f" ({e.collateral.currency} against {e.currency})" if haircut else "")
            )
        residual = net - guaranteed - adjusted
        obligor_ev = (residual if residual > 0 else ZERO) + off
        if f.cls == "real_estate":
            body, text = self._real_estate(e, obligor_ev)
        else:
            rw, text = self.obligor(f)
            body = [(obligor_ev, rw, "obligor")]
        if off:
            text += self.ccf_text(e.ccf_bucket or 0, ccf)
        sme = e.sme_supporting_factor and e.sme_total_owed is not None
        numerator = self.sme_numerator(e.sme_total_owed) if sme and e.sme_total_owed is not None else ZERO
        parts = list(head)
        for ev, rw, kind in body:
            pre = ev * rw
            after = pre * numerator / e.sme_total_owed if sme and e.sme_total_owed else pre
            parts.append(PartResult(home, ev, rw, pre, after, kind))
        if sme and e.sme_total_owed:
            factor = numerator / e.sme_total_owed
            notes.append(
                f"SME supporting factor Art. 501: ({format(self.sme_low.normalize(), 'f')} × min(T, "
                f"{_plain(self.sme_threshold)}) + {_plain(self.sme_high)} × excess) / T "
                f"= {format(factor.quantize(Decimal('0.000001')), 'f')}"
            )
        rule = "; ".join([text, *notes])
        ev_total = pre_total = rwa_total = ZERO  # ZERO + part + part…: what sum(…, ZERO) adds, in that order
        for part in parts:
            ev_total += part.exposure_value
            pre_total += part.rwa_pre_sf
            rwa_total += part.rwa
        return ExposureResult(
            e.id, f.cls, home, e.amount + e.off_balance, ev_total, pre_total, rwa_total, tuple(parts), rule,
            e.amount, e.scra, e.off_balance, e.ccf_bucket, ccf, guaranteed, adjusted, bool(sme), False,
        )  # fmt: skip

    def _default_rw(self, e: Exposure) -> tuple[Decimal, str]:
        p, f = self.p, e.profile
        if f.cls == "real_estate" and f.property_type == "residential" and f.eligible and not f.ipre:
            rw = p.get("rw_default", "residential")
            return rw, f"Art. 127(2): defaulted, eligible residential not IPRE → {pct(rw)}"
        threshold = p.get("rw_default", "provision_threshold")
        if e.amount > 0 and e.scra >= threshold * e.amount:
            rw = p.get("rw_default", "high_provision")
            return rw, f"Art. 127(1)(b): defaulted, SCRA ≥ {pct(threshold)} of the amount → {pct(rw)}"
        rw = p.get("rw_default", "low_provision")
        return rw, f"Art. 127(1)(a): defaulted, SCRA < {pct(threshold)} of the amount → {pct(rw)}"

    def _counterparty(self, f: Profile) -> tuple[Decimal, str]:
        if f.counterparty == "corporate":
            rw, text = self.obligor(Profile("corporate", cqs=f.cqs, sovereign_cqs=f.sovereign_cqs))
            return rw, "counterparty corporate, " + text
        key = ("counterparty", f.counterparty)
        rw = self.p.get("rw_real_estate_counterparty", f.counterparty or "natural_person")
        found = self._texts.get(key)
        if found is None:
            found = self._texts[key] = f"counterparty {(f.counterparty or '').replace('_', ' ')} → {pct(rw)}"
        return rw, found

    def _real_estate(self, e: Exposure, ev: Decimal) -> tuple[list[tuple[Decimal, Decimal, str]], str]:
        p, f = self.p, e.profile
        value = e.property_value or ONE
        residential = f.property_type == "residential"
        mismatch = f.currency_mismatch and residential and f.counterparty in ("retail", "natural_person")
        if not f.eligible:
            if f.ipre:
                rw = p.get("real_estate", "ipre_not_eligible_rw")
                parts, text = [(ev, rw, "obligor")], f"Art. 124(1): IPRE not meeting Art. 124(3) → {pct(rw)}"
            else:
                rw, cp = self._counterparty(f)
                parts, text = [(ev, rw, "obligor")], f"Art. 124(1): not meeting Art. 124(3), {cp}"
        elif f.ipre:
            bounds, rw = self._bounds["rw_residential_ipre" if residential else "rw_commercial_ipre"]
            edge: Decimal | None = None
            for bound, weight in bounds:
                if e.amount <= bound * value:  # ETV ≤ bound, tested exactly
                    rw, edge = weight, bound
                    break
            band: tuple[Any, ...] = ("ipre", residential, edge, rw)
            text = self._texts.get(band) or self._texts.setdefault(band, self._ipre_text(residential, edge, bounds, rw))
            parts = [(ev, rw, "obligor")]
        else:
            share = p.get("real_estate", "secured_share")
            secured_rw = p.get("real_estate", "residential_secured_rw" if residential else "commercial_secured_rw")
            slice_ = share * value - e.prior_liens
            slice_ = slice_ if slice_ > 0 else ZERO
            secured = ev if ev < slice_ else slice_
            rw, cp = self._counterparty(f)
            split: tuple[Any, ...] = ("split", f, e.prior_liens)
            text = self._texts.get(split) or self._texts.setdefault(
                split, self._split_text(residential, share, secured_rw, e, cp)
            )
            parts = [(secured, secured_rw, "secured"), (ev - secured, rw, "unsecured")]
        if mismatch:
            weighted = []
            for part_ev, rw, kind in parts:
                weighted.append((part_ev, min(rw * self.mismatch_multiplier, self.mismatch_cap), kind))
            parts = weighted
            text += (
                f"; currency mismatch Art. 123a × {_plain(self.mismatch_multiplier)} on every part"
                f" (cap {pct(self.mismatch_cap)})"
            )
        return parts, text

    @staticmethod
    def _ipre_text(residential: bool, edge: Decimal | None, bounds: list[tuple[Decimal, Decimal]], rw: Decimal) -> str:
        article = "Art. 125(2) residential IPRE" if residential else "Art. 126(2) Table 1 commercial IPRE"
        band = f"ETV ≤ {pct(edge)}" if edge is not None else f"ETV > {pct(bounds[-1][0])}"
        return f"{article}, {band} → {pct(rw)}"

    @staticmethod
    def _split_text(residential: bool, share: Decimal, secured_rw: Decimal, e: Exposure, cp: str) -> str:
        article = "Art. 125(1)" if residential else "Art. 126(1)"
        liens = f" less prior liens {format(e.prior_liens, 'f')}" if e.prior_liens else ""
        return (
            f"{article} loan splitting: part up to {pct(share)} of the property value{liens} → {pct(secured_rw)}; "
            f"remainder: {cp}"
        )
