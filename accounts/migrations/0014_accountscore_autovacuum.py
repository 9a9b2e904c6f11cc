"""Schema: storage settings of ``accounts_accountscore``, the one table a scoring run writes heavily (a row per
account per run; it never updates them, and rows go only when their run or account is deleted).

- Vacuum and analyse after every run, not after a fraction of the whole history: with the default scale factors
  (20 % and 10 % of the table) a year of nightly runs would wait dozens of runs between two passes, so right
  after a run its pages read rows that are not yet all-visible (index-only scans on ``(run, kas)`` and
  ``(run, account)`` visit the heap, and the first readers write the hint bits) and statistics that do not know
  the run. A fixed threshold below one run's rows (scale factor 0) makes autovacuum take the new run within a
  minute (``autovacuum_naptime``). Insert-only vacuum is cheap: it skips the all-visible pages and the indexes.
- Deleted scores (a deleted account or run) are vacuumed once they are 2 % of the table, not 20 %.
- No statistics for ``inputs``: nothing filters, joins or sorts on the array, and it is most of the cost of
  analysing the table (it halves it: 2 s → 1 s at 200,000 scores), here and in the dashboard refresh, which
  analyses it.

The run itself does not analyse the table: that costs as much again as the run's own write and grows with the
history, while autovacuum does it off the run's critical path."""

from django.db import migrations

TABLE = "accounts_accountscore"
# After at least this many inserted (or changed) rows: any run over a portfolio of a thousand accounts or more.
THRESHOLD = 1000
OPTIONS = {
    "autovacuum_vacuum_insert_threshold": THRESHOLD,
    "autovacuum_vacuum_insert_scale_factor": 0,
    "autovacuum_analyze_threshold": THRESHOLD,
    "autovacuum_analyze_scale_factor": 0,
    "autovacuum_vacuum_threshold": THRESHOLD,
    "autovacuum_vacuum_scale_factor": 0.02,
}
SETTINGS = ", ".join(f"{name} = {value}" for name, value in OPTIONS.items())

FORWARD = f"""
ALTER TABLE {TABLE} SET ({SETTINGS});
ALTER TABLE {TABLE} ALTER COLUMN inputs SET STATISTICS 0;
"""
BACKWARD = f"""
ALTER TABLE {TABLE} RESET ({", ".join(OPTIONS)});
ALTER TABLE {TABLE} ALTER COLUMN inputs SET STATISTICS -1;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0013_list_indexes")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
