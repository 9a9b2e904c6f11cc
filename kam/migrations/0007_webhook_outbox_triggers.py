"""Schema: the webhook outbox is written by statement-level triggers, in the transaction that made the change —
a key status that moved, a ladder transition, a grant's logged transition, a scoring run that finished — only
while an active subscription asks for that event. A rolled-back change leaves no event; one UPDATE of 2,000
accounts is one INSERT … SELECT. The dispatcher, every few seconds, turns events into deliveries. And the
dispatcher's beat entry."""

from django.db import migrations

WANTED = "EXISTS (SELECT 1 FROM kam_webhooksubscription WHERE is_active AND '{event}' = ANY (events))"

FORWARD = f"""
CREATE FUNCTION kam_outbox_key_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {WANTED.format(event="account.key_status_changed")} THEN
        INSERT INTO kam_outboxevent (uid, event, payload, occurred_at)
        SELECT gen_random_uuid(), 'account.key_status_changed',
               jsonb_build_object(
                   'account', jsonb_build_object('id', n.id, 'external_id', n.external_id, 'name', n.name,
                                                 'owner_id', n.owner_id),
                   'from', o.key_status, 'to', n.key_status),
               now()
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE o.key_status IS DISTINCT FROM n.key_status;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER kam_outbox_key_status AFTER UPDATE ON accounts_account
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kam_outbox_key_status();

CREATE FUNCTION kam_outbox_stage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {WANTED.format(event="ladder.stage_changed")} THEN
        INSERT INTO kam_outboxevent (uid, event, payload, occurred_at)
        SELECT gen_random_uuid(), 'ladder.stage_changed',
               jsonb_build_object(
                   'account', jsonb_build_object('id', a.id, 'external_id', a.external_id, 'name', a.name,
                                                 'owner_id', a.owner_id),
                   'transition_id', t.id, 'from', t.from_stage, 'to', t.to_stage, 'mode', t.mode,
                   'as_of', t.as_of, 'run_id', t.run_id),
               now()
        FROM new_rows t JOIN accounts_account a ON a.id = t.account_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER kam_outbox_stage AFTER INSERT ON relationships_laddertransition
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kam_outbox_stage();

CREATE FUNCTION kam_outbox_grant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {WANTED.format(event="grant.status_changed")} THEN
        INSERT INTO kam_outboxevent (uid, event, payload, occurred_at)
        SELECT gen_random_uuid(), 'grant.status_changed',
               jsonb_build_object(
                   'grant', jsonb_build_object('id', g.id, 'benefit_type', bt.code, 'value', g.value,
                                               'valid_from', g.valid_from, 'valid_to', g.valid_to),
                   'account', jsonb_build_object('id', a.id, 'external_id', a.external_id, 'name', a.name),
                   'from', NULLIF(e.from_status, ''), 'to', e.to_status, 'reason', e.reason),
               now()
        FROM new_rows e
        JOIN benefits_benefitgrant g ON g.id = e.grant_id
        JOIN benefits_benefittype bt ON bt.id = g.benefit_type_id
        JOIN accounts_account a ON a.id = g.account_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER kam_outbox_grant AFTER INSERT ON benefits_benefitgrantevent
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kam_outbox_grant();

CREATE FUNCTION kam_outbox_scoring_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {WANTED.format(event="scoring_run.finished")} THEN
        INSERT INTO kam_outboxevent (uid, event, payload, occurred_at)
        SELECT gen_random_uuid(), 'scoring_run.finished',
               jsonb_build_object(
                   'run', jsonb_build_object('id', n.id, 'as_of', n.as_of, 'status', n.status,
                                             'accounts_scored', n.accounts_scored,
                                             'status_changes', n.status_changes,
                                             'finished_at', n.finished_at, 'error', n.error)),
               now()
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.status IN ('done', 'failed') AND o.status IS DISTINCT FROM n.status;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER kam_outbox_scoring_run AFTER UPDATE ON accounts_scoringrun
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kam_outbox_scoring_run();
"""  # noqa: S608 (constants only)

BACKWARD = """
DROP TRIGGER kam_outbox_key_status ON accounts_account;
DROP FUNCTION kam_outbox_key_status();
DROP TRIGGER kam_outbox_stage ON relationships_laddertransition;
DROP FUNCTION kam_outbox_stage();
DROP TRIGGER kam_outbox_grant ON benefits_benefitgrantevent;
DROP FUNCTION kam_outbox_grant();
DROP TRIGGER kam_outbox_scoring_run ON accounts_scoringrun;
DROP FUNCTION kam_outbox_scoring_run();
"""

TASK = "kam.webhooks_dispatch"
NAME = "Webhooks: dispatch events to subscriptions"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=10, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "interval": every,
            "enabled": True,
            "description": "Turns new events into signed deliveries and sends them; picks up deliveries a worker lost.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kam", "0006_webhooks"),
        ("accounts", "0010_scoring_current_scores"),
        ("relationships", "0006_contact_cadence_schedule"),
        ("benefits", "0003_benefits_lifecycle_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD), migrations.RunPython(create_schedule, remove_schedule)]
