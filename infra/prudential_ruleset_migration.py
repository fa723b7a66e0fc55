"""`python -m infra.prudential_ruleset_migration CODE`: print the migration that seeds a bundled
prudential rule set (shared/prudential/rulesets/CODE.json).

The JSON document is embedded verbatim and spread over `prudential_rule_sets` and
`prudential_rule_parameters` by SQL, so the migration and the bundled file cannot disagree (a test
compares them). Used once per bundled rule set; later rule sets are published as data.
"""

from __future__ import annotations

import json
import sys

from shared.prudential.rules import load_rule_set

TEMPLATE = """-- Why: seeds the platform rule set {code} (effective {effective}): every CRR3 parameter of the
-- prudential engine as a dated row, from the document bundled as
-- shared/prudential/rulesets/{code}.json (embedded verbatim below; a test holds them equal).
with doc as (select $ruleset${document}$ruleset$::jsonb as d),
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
"""


def render(code: str) -> str:
    rule_set = load_rule_set(code)
    document = json.dumps(rule_set.to_document(), ensure_ascii=False, indent=1)
    if "$ruleset$" in document:
        raise ValueError("the document contains the dollar-quote tag")
    return TEMPLATE.format(code=code, effective=rule_set.effective_from.isoformat(), document=document)


if __name__ == "__main__":
    sys.stdout.write(render(sys.argv[1]))
