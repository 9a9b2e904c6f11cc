"""Data: move each stored score's inputs from its JSON explanation (format ``kas-v1/inputs``) into the ``inputs``
array, and give every score the KAS of the account's score in the run before it.

The array layout is frozen here (migrations never import app code); it is ``accounts.scoring.inputs.INPUT_FIELDS``
as of this migration. Set-based: two UPDATE statements, whatever the number of scores.
"""

from django.db import migrations

MONEY_AND_COUNTS = (
    "invoices_due_w365",
    "amount_due_w365",
    "late_amount_days",
    "overdue_unpaid",
    "writeoff_w1095",
    "revenue_w365",
    "revenue_previous_w365",
    "size_percent_rank",
    "annual_potential",
    "days_since_first_order",
    "orders_w365",
    "nps_sum",
    "nps_count",
    "verified_advocacy_w730",
    "premium_revenue_w365",
    "enhanced_revenue_w365",
    "discount_weighted_sum",
    "override_id",
)
MONTHS = 12
COUNTS = {
    "invoices_due_w365",
    "days_since_first_order",
    "orders_w365",
    "nps_sum",
    "nps_count",
    "verified_advocacy_w730",
    "override_id",
}


def _from_json(name: str) -> str:
    if name == "writeoff_w1095":
        return "CASE WHEN (explanation->>'writeoff_w1095')::boolean THEN 1 ELSE 0 END"
    return f"(explanation->>'{name}')::numeric"


FORWARD = f"""
UPDATE accounts_accountscore
   SET inputs = ARRAY[{", ".join(f"(explanation->'monthly_revenue'->>{i})::numeric" for i in range(MONTHS))},
                      {", ".join(_from_json(name) for name in MONEY_AND_COUNTS)}]::numeric[]
 WHERE explanation->>'format' = 'kas-v1/inputs'
"""  # noqa: S608 (constants only)

PREVIOUS_KAS = """
UPDATE accounts_accountscore s
   SET kas_previous = earlier.kas_previous
  FROM (SELECT s2.id,
               lag(s2.kas) OVER (PARTITION BY s2.account_id ORDER BY r.as_of, r.finished_at, r.id) AS kas_previous
          FROM accounts_accountscore s2 JOIN accounts_scoringrun r ON r.id = s2.run_id
         WHERE r.status = 'done') earlier
 WHERE earlier.id = s.id AND earlier.kas_previous IS NOT NULL
"""


def _to_json(position: int, name: str) -> str:
    if name == "writeoff_w1095":
        return f"'{name}', inputs[{position}] = 1"
    if name in COUNTS:
        return f"'{name}', inputs[{position}]::int"
    return f"'{name}', inputs[{position}]::text"


BACKWARD = f"""
UPDATE accounts_accountscore
   SET explanation = jsonb_build_object(
           'format', 'kas-v1/inputs',
           'monthly_revenue', jsonb_build_array({", ".join(f"inputs[{i}]::text" for i in range(1, MONTHS + 1))}),
           'previous_key_status', nullif(previous_key_status, ''))
       || jsonb_build_object({", ".join(_to_json(MONTHS + 1 + i, name) for i, name in enumerate(MONEY_AND_COUNTS))})
 WHERE cardinality(inputs) = {MONTHS + len(MONEY_AND_COUNTS)}
"""  # noqa: S608 (constants only)


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FORWARD)
        cursor.execute(PREVIOUS_KAS)


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_scoring_score_inputs")]

    operations = [migrations.RunPython(forward, backward)]
