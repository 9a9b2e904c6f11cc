"""Schema: the audit triggers. Statement-level AFTER INSERT/UPDATE/DELETE triggers with transition tables on
every audited table, writing one ``audit_auditentry`` row per changed row in one ``INSERT … SELECT`` per
statement — a bulk upsert of 5,000 orders or a CSV import of a million is still one statement. An update is
diffed column by column (as JSONB) and a row where nothing but ``updated_at`` changed is skipped. The actor is
read from the session settings ``audit.actor`` sets; a rolled-back change leaves no entry."""

from django.db import migrations

# table → the column naming its account ('' for none)
AUDITED = {
    "accounts_account": "id",
    "accounts_account_team": "account_id",
    "accounts_contact": "account_id",
    "accounts_order": "account_id",
    "accounts_invoice": "account_id",
    "accounts_keystatusoverride": "account_id",
    "accounts_scoringpolicy": "",
    "relationships_ladderoverride": "account_id",
    "relationships_partnerproposal": "account_id",
    "benefits_benefitgrant": "account_id",
}

FUNCTION = """
CREATE FUNCTION audit_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_account text := TG_ARGV[0];
    v_actor bigint := NULLIF(current_setting('kam.actor_id', true), '')::bigint;
    v_label text := COALESCE(current_setting('kam.actor_label', true), '');
    v_request text := COALESCE(current_setting('kam.request_id', true), '');
    -- Not changes anyone asked for: the key is the entry's object_id, the timestamps are the entry's own.
    v_skipped text[] := ARRAY['id', 'created_at', 'updated_at'];
BEGIN
    -- Each row is turned into JSONB once (OFFSET 0 keeps the planner from inlining it into every key's test),
    -- then its keys are compared in a LATERAL subquery: cheaper than a subplan or a GROUP BY over all keys.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit_auditentry (occurred_at, actor_id, actor_label, table_name, object_id, account_id, action,
                                      changes, request_id, transaction_id)
        SELECT now(), v_actor, v_label, TG_TABLE_NAME, r.id, (r.j ->> v_account)::bigint, 'insert',
               COALESCE(c.changes, '{}'), v_request, txid_current()
          FROM (SELECT n.id, to_jsonb(n) AS j FROM new_rows n OFFSET 0) r
         CROSS JOIN LATERAL (SELECT jsonb_object_agg(e.key, jsonb_build_array(NULL, e.value)) AS changes
                               FROM jsonb_each(r.j - v_skipped) e WHERE e.value <> 'null'::jsonb) c;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO audit_auditentry (occurred_at, actor_id, actor_label, table_name, object_id, account_id, action,
                                      changes, request_id, transaction_id)
        SELECT now(), v_actor, v_label, TG_TABLE_NAME, r.id, (r.nj ->> v_account)::bigint, 'update', c.changes,
               v_request, txid_current()
          FROM (SELECT n.id, to_jsonb(n) AS nj, to_jsonb(o) AS oj FROM new_rows n JOIN old_rows o ON o.id = n.id
                OFFSET 0) r
         CROSS JOIN LATERAL (SELECT jsonb_object_agg(e.key, jsonb_build_array(r.oj -> e.key, e.value)) AS changes
                               FROM jsonb_each(r.nj - v_skipped) e WHERE e.value IS DISTINCT FROM r.oj -> e.key) c
         WHERE c.changes IS NOT NULL;
    ELSE
        INSERT INTO audit_auditentry (occurred_at, actor_id, actor_label, table_name, object_id, account_id, action,
                                      changes, request_id, transaction_id)
        SELECT now(), v_actor, v_label, TG_TABLE_NAME, r.id, (r.j ->> v_account)::bigint, 'delete',
               COALESCE(c.changes, '{}'), v_request, txid_current()
          FROM (SELECT o.id, to_jsonb(o) AS j FROM old_rows o OFFSET 0) r
         CROSS JOIN LATERAL (SELECT jsonb_object_agg(e.key, jsonb_build_array(e.value, NULL)) AS changes
                               FROM jsonb_each(r.j - v_skipped) e WHERE e.value <> 'null'::jsonb) c;
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER audit_capture_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_capture('{account}');
CREATE TRIGGER audit_capture_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_capture('{account}');
CREATE TRIGGER audit_capture_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_capture('{account}');
"""

DROP = """
DROP TRIGGER audit_capture_insert ON {table};
DROP TRIGGER audit_capture_update ON {table};
DROP TRIGGER audit_capture_delete ON {table};
"""

FORWARD = FUNCTION + "".join(TRIGGERS.format(table=table, account=account) for table, account in AUDITED.items())
BACKWARD = "".join(DROP.format(table=table) for table in AUDITED) + "DROP FUNCTION audit_capture();"


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_auditentry"),
        ("accounts", "0011_importjob"),
        ("relationships", "0006_contact_cadence_schedule"),
        ("benefits", "0003_benefits_lifecycle_schedule"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
