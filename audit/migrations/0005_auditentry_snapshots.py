"""Data: the entries written before 0003 stored an insert as ``{column: [null, value]}`` and a delete as
``{column: [value, null]}``; they become the snapshots 0003 writes (``{column: value}``), so that every entry
reads alike. Set-based, one statement each way. Every insert and delete entry is still in the old form here:
0003 and 0004, which run just before, write none."""

from django.db import migrations

FORWARD = """
UPDATE audit_auditentry e
   SET changes = (SELECT COALESCE(jsonb_object_agg(c.key, c.value -> (CASE e.action WHEN 'insert' THEN 1 ELSE 0 END)),
                                  '{}')
                    FROM jsonb_each(e.changes) c)
 WHERE e.action IN ('insert', 'delete')
"""

BACKWARD = """
UPDATE audit_auditentry e
   SET changes = (SELECT COALESCE(jsonb_object_agg(c.key, CASE e.action WHEN 'insert' THEN jsonb_build_array(NULL, c.value)
                                                                     ELSE jsonb_build_array(c.value, NULL) END),
                                  '{}')
                    FROM jsonb_each(e.changes) c)
 WHERE e.action IN ('insert', 'delete')
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_auditentry_fewer_indexes")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
