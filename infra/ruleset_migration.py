"""`python -m infra.ruleset_migration VERSION`: print the migration that seeds a bundled rule set.

The rule set's JSON document (shared/simulation/rulesets/VERSION.json) is embedded verbatim and
spread over the catalogue tables by SQL, so the migration and the bundled file cannot disagree
(a test compares them). Used once per bundled rule set; later rule sets are published through
the `simulate` function's admin route instead.
"""

from __future__ import annotations

import json
import sys

from shared.simulation.models import load_rule_set

TEMPLATE = """-- Why: seeds rule set {version} (effective {effective}) and the products it prices, from the
-- document bundled as shared/simulation/rulesets/{version}.json (embedded verbatim below).
with doc as (select $ruleset${document}$ruleset$::jsonb as d),
products as (
  insert into public.products (code, position, name, category, kind, active, sectors, notes, benefits, details)
  select p ->> 'code', (p ->> 'order')::int, p ->> 'name', coalesce(p ->> 'category', ''), p ->> 'kind',
         (p ->> 'active')::boolean, array(select jsonb_array_elements_text(p -> 'sectors')),
         coalesce(p ->> 'notes', ''), p -> 'benefits',
         jsonb_build_object('name_en', p -> 'name_en', 'category_en', p -> 'category_en', 'notes_en', p -> 'notes_en')
  from doc, jsonb_array_elements(d -> 'products') p
  on conflict (code) do nothing
  returning code
),
rule_set as (
  insert into public.rule_sets (organization_id, version, effective_from, description)
  select null, d ->> 'version', (d ->> 'effective_from')::date, d ->> 'description' from doc
  returning id
),
questions as (
  insert into public.questions (rule_set_id, code, position, definition)
  select rule_set.id, q ->> 'code', (q ->> 'order')::int, q
  from doc, rule_set, jsonb_array_elements(d -> 'questions') q
  returning code
)
insert into public.product_rules (rule_set_id, product_code, active, rule, formula)
select rule_set.id, p ->> 'code', (p ->> 'active')::boolean, nullif(p -> 'eligibility', 'null'::jsonb),
       nullif(p -> 'formula', 'null'::jsonb)
from doc, rule_set, jsonb_array_elements(d -> 'products') p;
-- (Data-modifying CTEs run exactly once whether or not the final statement reads them.)
"""


def render(version: str) -> str:
    rule_set = load_rule_set(version)
    document = json.dumps(rule_set.model_dump(mode="json"), ensure_ascii=False, indent=1)
    if "$ruleset$" in document:
        raise ValueError("the document contains the dollar-quote tag")
    return TEMPLATE.format(version=version, effective=rule_set.effective_from.isoformat(), document=document)


if __name__ == "__main__":
    sys.stdout.write(render(sys.argv[1]))
