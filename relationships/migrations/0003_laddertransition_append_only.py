"""Schema: ladder transitions are append-only. A trigger refuses any UPDATE that changes what a transition says;
only its actor or run may become empty, which is what deleting that user or run does (on_delete=SET_NULL)."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION relationships_laddertransition_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.account_id IS DISTINCT FROM OLD.account_id
       OR NEW.from_stage IS DISTINCT FROM OLD.from_stage
       OR NEW.to_stage IS DISTINCT FROM OLD.to_stage
       OR NEW.rule_stage IS DISTINCT FROM OLD.rule_stage
       OR NEW.mode IS DISTINCT FROM OLD.mode
       OR NEW.as_of IS DISTINCT FROM OLD.as_of
       OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at
       OR NEW.evidence IS DISTINCT FROM OLD.evidence
       OR NEW.note IS DISTINCT FROM OLD.note
       OR (NEW.actor_id IS NOT NULL AND NEW.actor_id IS DISTINCT FROM OLD.actor_id)
       OR (NEW.run_id IS NOT NULL AND NEW.run_id IS DISTINCT FROM OLD.run_id) THEN
        RAISE EXCEPTION 'ladder transitions are append-only'
            USING ERRCODE = 'integrity_constraint_violation',
                  CONSTRAINT = 'relationships_laddertransition_append_only';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER relationships_laddertransition_append_only
    BEFORE UPDATE ON relationships_laddertransition
    FOR EACH ROW EXECUTE FUNCTION relationships_laddertransition_append_only();
"""

BACKWARD = """
DROP TRIGGER relationships_laddertransition_append_only ON relationships_laddertransition;
DROP FUNCTION relationships_laddertransition_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("relationships", "0002_ladder")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
