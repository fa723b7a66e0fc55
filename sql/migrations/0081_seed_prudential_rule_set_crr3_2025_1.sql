-- Why: seeds the platform rule set CRR3-2025.1 (effective 2025-01-01): every CRR3 parameter of the
-- prudential engine as a dated row, from the document bundled as
-- shared/prudential/rulesets/CRR3-2025.1.json (embedded verbatim below; a test holds them equal).
with doc as (select $ruleset${
 "rule_set": "CRR3-2025.1",
 "effective_from": "2025-01-01",
 "description": "CRR3 standardised approach (Regulation (EU) 2024/1623), CRD buffers, leverage, LCR (DR 2015/61) and NSFR parameters. Every value is a decimal fraction written as a string (0.2 = 20 %), except thresholds in EUR and multipliers; a row applies from valid_from to valid_to inclusive (null: open-ended). The reference date of a calculation picks the rows in force.",
 "parameters": [
  {
   "code": "ccf",
   "key": "1",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "ccf",
   "key": "2",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "ccf",
   "key": "3",
   "value": "0.4",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "ccf",
   "key": "4",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "ccf",
   "key": "5",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": "2029-12-31"
  },
  {
   "code": "ccf",
   "key": "5",
   "value": "0.025",
   "valid_from": "2030-01-01",
   "valid_to": "2030-12-31"
  },
  {
   "code": "ccf",
   "key": "5",
   "value": "0.05",
   "valid_from": "2031-01-01",
   "valid_to": "2031-12-31"
  },
  {
   "code": "ccf",
   "key": "5",
   "value": "0.075",
   "valid_from": "2032-01-01",
   "valid_to": "2032-12-31"
  },
  {
   "code": "ccf",
   "key": "5",
   "value": "0.1",
   "valid_from": "2033-01-01",
   "valid_to": null
  },
  {
   "code": "rw_central_government",
   "key": "1",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_central_government",
   "key": "2",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_central_government",
   "key": "3",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_central_government",
   "key": "4",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_central_government",
   "key": "5",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_central_government",
   "key": "6",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_central_government",
   "key": "unrated",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_central_government",
   "key": "domestic_currency",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_mdb",
   "key": "all",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_international_organisation",
   "key": "all",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution",
   "key": "1",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution",
   "key": "2",
   "value": "0.3",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution",
   "key": "3",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution",
   "key": "4",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution",
   "key": "5",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution",
   "key": "6",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_short",
   "key": "1",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_short",
   "key": "2",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_short",
   "key": "3",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_short",
   "key": "4",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_short",
   "key": "5",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_short",
   "key": "6",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_scra",
   "key": "A",
   "value": "0.4",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_scra",
   "key": "A_enhanced",
   "value": "0.3",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_scra",
   "key": "B",
   "value": "0.75",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_scra",
   "key": "C",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_scra_short",
   "key": "A",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_scra_short",
   "key": "B",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_institution_scra_short",
   "key": "C",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "institution_grade_a_enhanced",
   "key": "cet1_ratio",
   "value": "0.14",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "institution_grade_a_enhanced",
   "key": "leverage_ratio",
   "value": "0.05",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_corporate",
   "key": "1",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_corporate",
   "key": "2",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_corporate",
   "key": "3",
   "value": "0.75",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_corporate",
   "key": "4",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_corporate",
   "key": "5",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_corporate",
   "key": "6",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_corporate",
   "key": "unrated",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_specialised_lending",
   "key": "object",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_specialised_lending",
   "key": "commodities",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_specialised_lending",
   "key": "project_pre_operational",
   "value": "1.3",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_specialised_lending",
   "key": "project_operational",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_specialised_lending",
   "key": "project_high_quality",
   "value": "0.8",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_retail",
   "key": "regulatory",
   "value": "0.75",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_retail",
   "key": "transactor",
   "value": "0.45",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_retail",
   "key": "other",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "currency_mismatch",
   "key": "multiplier",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "currency_mismatch",
   "key": "cap",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_real_estate_counterparty",
   "key": "retail",
   "value": "0.75",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_real_estate_counterparty",
   "key": "natural_person",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "real_estate",
   "key": "secured_share",
   "value": "0.55",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "real_estate",
   "key": "residential_secured_rw",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "real_estate",
   "key": "commercial_secured_rw",
   "value": "0.6",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "real_estate",
   "key": "ipre_not_eligible_rw",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_residential_ipre",
   "key": "0.5",
   "value": "0.3",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_residential_ipre",
   "key": "0.6",
   "value": "0.35",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_residential_ipre",
   "key": "0.8",
   "value": "0.45",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_residential_ipre",
   "key": "0.9",
   "value": "0.6",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_residential_ipre",
   "key": "1",
   "value": "0.75",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_residential_ipre",
   "key": "above",
   "value": "1.05",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_commercial_ipre",
   "key": "0.6",
   "value": "0.7",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_commercial_ipre",
   "key": "0.8",
   "value": "0.9",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_commercial_ipre",
   "key": "above",
   "value": "1.1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_adc",
   "key": "standard",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_adc",
   "key": "residential_relief",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_default",
   "key": "provision_threshold",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_default",
   "key": "low_provision",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_default",
   "key": "high_provision",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_default",
   "key": "residential",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_subordinated_debt",
   "key": "all",
   "value": "1.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_equity",
   "key": "standard",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": "2025-12-31"
  },
  {
   "code": "rw_equity",
   "key": "standard",
   "value": "1.3",
   "valid_from": "2026-01-01",
   "valid_to": "2026-12-31"
  },
  {
   "code": "rw_equity",
   "key": "standard",
   "value": "1.6",
   "valid_from": "2027-01-01",
   "valid_to": "2027-12-31"
  },
  {
   "code": "rw_equity",
   "key": "standard",
   "value": "1.9",
   "valid_from": "2028-01-01",
   "valid_to": "2028-12-31"
  },
  {
   "code": "rw_equity",
   "key": "standard",
   "value": "2.2",
   "valid_from": "2029-01-01",
   "valid_to": "2029-12-31"
  },
  {
   "code": "rw_equity",
   "key": "standard",
   "value": "2.5",
   "valid_from": "2030-01-01",
   "valid_to": null
  },
  {
   "code": "rw_equity",
   "key": "higher_risk",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": "2025-12-31"
  },
  {
   "code": "rw_equity",
   "key": "higher_risk",
   "value": "1.6",
   "valid_from": "2026-01-01",
   "valid_to": "2026-12-31"
  },
  {
   "code": "rw_equity",
   "key": "higher_risk",
   "value": "2.2",
   "valid_from": "2027-01-01",
   "valid_to": "2027-12-31"
  },
  {
   "code": "rw_equity",
   "key": "higher_risk",
   "value": "2.8",
   "valid_from": "2028-01-01",
   "valid_to": "2028-12-31"
  },
  {
   "code": "rw_equity",
   "key": "higher_risk",
   "value": "3.4",
   "valid_from": "2029-01-01",
   "valid_to": "2029-12-31"
  },
  {
   "code": "rw_equity",
   "key": "higher_risk",
   "value": "4",
   "valid_from": "2030-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond",
   "key": "1",
   "value": "0.1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond",
   "key": "2",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond",
   "key": "3",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond",
   "key": "4",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond",
   "key": "5",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond",
   "key": "6",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond_unrated",
   "key": "0.2",
   "value": "0.1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond_unrated",
   "key": "0.3",
   "value": "0.15",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond_unrated",
   "key": "0.4",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond_unrated",
   "key": "0.5",
   "value": "0.25",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond_unrated",
   "key": "0.75",
   "value": "0.35",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond_unrated",
   "key": "1",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_covered_bond_unrated",
   "key": "1.5",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_other_items",
   "key": "cash",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_other_items",
   "key": "gold",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_other_items",
   "key": "items_in_collection",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "rw_other_items",
   "key": "other",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "crm",
   "key": "fx_haircut",
   "value": "0.08",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "sme_supporting_factor",
   "key": "threshold",
   "value": "2500000",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "sme_supporting_factor",
   "key": "factor_up_to_threshold",
   "value": "0.7619",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "sme_supporting_factor",
   "key": "factor_above_threshold",
   "value": "0.85",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "operational_bic",
   "key": "1000000000",
   "value": "0.12",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "operational_bic",
   "key": "30000000000",
   "value": "0.15",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "operational_bic",
   "key": "above",
   "value": "0.18",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "trea",
   "key": "own_funds_multiplier",
   "value": "12.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "output_floor",
   "key": "factor",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": "2025-12-31"
  },
  {
   "code": "output_floor",
   "key": "factor",
   "value": "0.55",
   "valid_from": "2026-01-01",
   "valid_to": "2026-12-31"
  },
  {
   "code": "output_floor",
   "key": "factor",
   "value": "0.6",
   "valid_from": "2027-01-01",
   "valid_to": "2027-12-31"
  },
  {
   "code": "output_floor",
   "key": "factor",
   "value": "0.65",
   "valid_from": "2028-01-01",
   "valid_to": "2028-12-31"
  },
  {
   "code": "output_floor",
   "key": "factor",
   "value": "0.7",
   "valid_from": "2029-01-01",
   "valid_to": "2029-12-31"
  },
  {
   "code": "output_floor",
   "key": "factor",
   "value": "0.725",
   "valid_from": "2030-01-01",
   "valid_to": null
  },
  {
   "code": "output_floor",
   "key": "cap_multiplier",
   "value": "1.25",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "output_floor",
   "key": "cap_available",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": "2029-12-31"
  },
  {
   "code": "output_floor",
   "key": "cap_available",
   "value": "0",
   "valid_from": "2030-01-01",
   "valid_to": null
  },
  {
   "code": "capital",
   "key": "cet1_minimum",
   "value": "0.045",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "capital",
   "key": "tier1_minimum",
   "value": "0.06",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "capital",
   "key": "total_minimum",
   "value": "0.08",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "capital",
   "key": "p2r_cet1_share",
   "value": "0.5625",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "capital",
   "key": "p2r_tier1_share",
   "value": "0.75",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "capital",
   "key": "capital_conservation_buffer",
   "value": "0.025",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "mda_factor",
   "key": "1",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "mda_factor",
   "key": "2",
   "value": "0.2",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "mda_factor",
   "key": "3",
   "value": "0.4",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "mda_factor",
   "key": "4",
   "value": "0.6",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "leverage",
   "key": "minimum",
   "value": "0.03",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "leverage",
   "key": "gsii_buffer_share",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "leverage",
   "key": "ccf_floor",
   "value": "0.1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_haircut",
   "key": "l1_coins_banknotes",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_haircut",
   "key": "l1_central_bank_reserves",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_haircut",
   "key": "l1_securities",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_haircut",
   "key": "l1_covered_bonds",
   "value": "0.07",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_haircut",
   "key": "l2a",
   "value": "0.15",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_haircut",
   "key": "l2b_covered_bonds",
   "value": "0.3",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_haircut",
   "key": "l2b_other",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "retail_stable",
   "value": "0.05",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "retail_other",
   "value": "0.1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "operational_deposits",
   "value": "0.25",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "non_operational_non_financial",
   "value": "0.4",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "financial_customers",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "secured_funding_level1",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "secured_funding_level2a",
   "value": "0.15",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "secured_funding_non_liquid",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "committed_credit_retail",
   "value": "0.05",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "committed_credit_non_financial",
   "value": "0.1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "committed_liquidity_non_financial",
   "value": "0.3",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "committed_facilities_credit_institutions",
   "value": "0.4",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "committed_credit_other_financial",
   "value": "0.4",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "committed_liquidity_other_financial",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "derivatives_net",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_outflow",
   "key": "other",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_inflow",
   "key": "non_financial_customers",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_inflow",
   "key": "financial_customers",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_inflow",
   "key": "secured_lending_level1",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_inflow",
   "key": "secured_lending_non_liquid",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr_inflow",
   "key": "derivatives_net",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "lcr",
   "key": "inflow_cap",
   "value": "0.75",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_asf",
   "key": "capital",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_asf",
   "key": "liabilities_1y_plus",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_asf",
   "key": "retail_stable",
   "value": "0.95",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_asf",
   "key": "retail_other",
   "value": "0.9",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_asf",
   "key": "operational_deposits",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_asf",
   "key": "non_financial_short",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_asf",
   "key": "financial_6m_to_1y",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_asf",
   "key": "financial_short",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_asf",
   "key": "other_liabilities",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "cash_central_bank",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "level1",
   "value": "0",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "level1_covered_bonds",
   "value": "0.07",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "level2a",
   "value": "0.15",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "level2b",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "loans_financial_short_level1",
   "value": "0.1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "loans_financial_short_other",
   "value": "0.15",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "loans_financial_6m_to_1y",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "loans_non_financial_short",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "operational_deposits_held",
   "value": "0.5",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "residential_mortgages_rw35",
   "value": "0.65",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "other_loans_rw35",
   "value": "0.65",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "loans_rw_over_35",
   "value": "0.85",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "securities_non_hqla",
   "value": "0.85",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "loans_financial_long",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "non_performing",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "fixed_and_other_assets",
   "value": "1",
   "valid_from": "2025-01-01",
   "valid_to": null
  },
  {
   "code": "nsfr_rsf",
   "key": "undrawn_facilities",
   "value": "0.05",
   "valid_from": "2025-01-01",
   "valid_to": null
  }
 ]
}$ruleset$::jsonb as d),
rule_set as (
  insert into public.prudential_rule_sets (organization_id, code, effective_from, description)
  select null, d ->> 'rule_set', (d ->> 'effective_from')::date, d ->> 'description' from doc
  where not exists (
    select 1 from public.prudential_rule_sets s
    where s.organization_id is null and s.code = (select d ->> 'rule_set' from doc)
  )
  returning id
)
insert into public.prudential_rule_parameters (rule_set_id, code, key, value, valid_from, valid_to)
select rule_set.id, p ->> 'code', p ->> 'key', (p ->> 'value')::numeric, (p ->> 'valid_from')::date,
       (p ->> 'valid_to')::date
from doc, rule_set, jsonb_array_elements(d -> 'parameters') p;
