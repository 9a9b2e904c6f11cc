"""The loyalty ladder evaluated set-based (DESIGN §6), over the temporary tables ``metrics_gather`` filled.

``ladder_compute`` decides every account of the gathered population in one statement (rung checks, rule stage,
pin, Partner cap) into the temporary table ``ladder_result``; ``ladder_apply`` writes what moved: a transition
with its evidence per account that changes stage, the account's stage, its ``LadderState`` (only where the
stage or the rule stage moved), new Partner proposals (directors are told), and expired overrides. The
arithmetic is the SQL image of ``relationships.ladder.rules``; tests hold the two to the same answers.

Both must run inside the transaction that gathered the inputs (the temporary tables drop at its end).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db.backends.utils import CursorWrapper

from relationships.choices import OverrideStatus, ProposalStatus, TransitionMode
from relationships.ladder.notify import partner_proposals_announce
from relationships.ladder.rules import (
    PARTNER_MONTHS,
    POLICY,
    STAGES,
    SUPPORTER_ENTRY_NPS,
    SUPPORTER_RETAIN_NPS,
)

# Rung k's entry (e<k>) and retain (r<k>) rules over the evidence columns; rules.entry_holds / retain_holds.
_RULES = f"""
    orders_ever >= 1 AS e1, orders_w730 >= 1 AS r1,
    orders_w365 >= 3 AND quarters_w365 >= 2 AS e2, orders_w365 >= 2 AS r2,
    nps_count_w365 > 0 AND nps_sum_w365 >= {SUPPORTER_ENTRY_NPS} * nps_count_w365 AND NOT detractor_w180 AS e3,
    nps_count_w545 > 0 AND nps_sum_w545 >= {SUPPORTER_RETAIN_NPS} * nps_count_w545 AND NOT detractor_w180 AS r3,
    verified_advocacy_w730 >= 1 AS e4, verified_advocacy_w1095 >= 1 AS r4,
    partner_contract_active AND months_with_orders >= {PARTNER_MONTHS} AS e5, partner_contract_active AS r5
"""

EVIDENCE_COLUMNS = (
    "orders_ever",
    "orders_w730",
    "orders_w365",
    "quarters_w365",
    "months_with_orders",
    "nps_sum_w365",
    "nps_count_w365",
    "nps_sum_w545",
    "nps_count_w545",
    "detractor_w180",
    "verified_advocacy_w730",
    "verified_advocacy_w1095",
    "partner_contract_active",
)

# Each level ends in OFFSET 0 so the planner computes it once per row instead of inlining it into every use.
COMPUTE_SQL = f"""
CREATE TEMP TABLE ladder_result ON COMMIT DROP AS
SELECT decided.*,
       CASE WHEN pinned_stage IS NOT NULL THEN pinned_stage
            WHEN rule_stage = 5 AND current_stage < 5 THEN 4
            ELSE rule_stage END AS new_stage,
       (pinned_stage IS NULL AND rule_stage = 5 AND current_stage < 5) AS propose_partner
  FROM (SELECT held.*,
               CASE WHEN NOT h1 THEN 0 WHEN NOT h2 THEN 1 WHEN NOT h3 THEN 2 WHEN NOT h4 THEN 3 WHEN NOT h5 THEN 4
                    ELSE 5 END AS rule_stage
  FROM (SELECT ruled.*,
               e1 OR (current_stage >= 1 AND r1) AS h1, e2 OR (current_stage >= 2 AND r2) AS h2,
               e3 OR (current_stage >= 3 AND r3) AS h3, e4 OR (current_stage >= 4 AND r4) AS h4,
               e5 OR (current_stage >= 5 AND r5) AS h5
  FROM (SELECT evidence.*, {_RULES}
  FROM (SELECT p.account_id,
               array_position(%(stages)s::text[], p.shown_stage::text) - 1 AS current_stage,
               coalesce(o.orders_ever, 0) AS orders_ever,
               coalesce(o.orders_w730, 0) AS orders_w730,
               coalesce(o.orders_w365, 0) AS orders_w365,
               bit_count(coalesce(o.quarter_mask, 0)::bit(32))::int AS quarters_w365,
               bit_count(coalesce(o.month_mask, 0)::bit(32))::int AS months_with_orders,
               coalesce(f.nps_sum, 0) AS nps_sum_w365, coalesce(f.nps_count, 0) AS nps_count_w365,
               coalesce(f.nps545_sum, 0) AS nps_sum_w545, coalesce(f.nps545_count, 0) AS nps_count_w545,
               coalesce(f.detractor_w180, false) AS detractor_w180,
               coalesce(a.verified_w730, 0) AS verified_advocacy_w730,
               coalesce(a.verified_w1095, 0) AS verified_advocacy_w1095,
               coalesce(c.partner_contract_active, false) AS partner_contract_active,
               array_position(%(stages)s::text[], ov.stage::text) - 1 AS pinned_stage,
               ov.id AS override_id
          FROM scoring_population p
          LEFT JOIN scoring_orders o USING (account_id)
          LEFT JOIN scoring_feedback f USING (account_id)
          LEFT JOIN scoring_advocacy a USING (account_id)
          LEFT JOIN scoring_contracts c USING (account_id)
          -- the override in force at T: approved by then and not expired (at most one is open per account)
          LEFT JOIN relationships_ladderoverride ov
                 ON ov.account_id = p.account_id AND ov.status = %(approved)s AND ov.expires_on >= %(t)s
                AND (ov.decided_at AT TIME ZONE %(tz)s)::date <= %(t)s
       OFFSET 0) evidence OFFSET 0) ruled OFFSET 0) held OFFSET 0) decided
"""  # noqa: S608 (constants only; values travel as parameters)


def _evidence_json(prefix: str = "") -> str:
    """The evidence of a row of ``ladder_result`` as JSON: every input, every rung's rules, the decision."""
    columns = ", ".join(f"'{name}', {prefix}{name}" for name in EVIDENCE_COLUMNS)
    rungs = ", ".join(
        f"'{STAGES[k]}', jsonb_build_object('entry', {prefix}e{k}, 'retain', {prefix}r{k}, 'holds', {prefix}h{k})"
        for k in range(1, 6)
    )
    return f"""jsonb_build_object('policy', '{POLICY}', 'as_of', %(t)s::date::text)
        || jsonb_build_object({columns})
        || jsonb_build_object('rungs', jsonb_build_object({rungs}),
                              'current_stage', (%(stages)s::text[])[{prefix}current_stage + 1],
                              'rule_stage', (%(stages)s::text[])[{prefix}rule_stage + 1],
                              'pinned_stage', (%(stages)s::text[])[{prefix}pinned_stage + 1],
                              'override_id', {prefix}override_id)"""


def _params(as_of: date) -> dict[str, Any]:
    return {
        "t": as_of,
        "tz": settings.TIME_ZONE,
        "stages": list(STAGES),
        "approved": OverrideStatus.APPROVED.value,
    }


def ladder_compute(cursor: CursorWrapper, *, as_of: date) -> int:
    """Decide every gathered account into ``ladder_result``; returns its row count."""
    cursor.execute("DROP TABLE IF EXISTS ladder_result")
    cursor.execute(COMPUTE_SQL, _params(as_of))
    return int(cursor.rowcount)


def ladder_apply(
    cursor: CursorWrapper, *, as_of: date, run_id: int | None = None, actor_id: int | None = None
) -> dict[str, Any]:
    """Write what moved (see the module docstring); returns the tallies a run keeps. ``actor_id`` is whoever
    caused this evaluation (a director approving an override), kept on the transitions."""
    params = {
        **_params(as_of),
        "run": run_id,
        "actor": actor_id,
        "automatic": TransitionMode.AUTOMATIC.value,
        "override": TransitionMode.OVERRIDE.value,
        "expired": OverrideStatus.EXPIRED.value,
        "open": ProposalStatus.OPEN.value,
        "rejected": ProposalStatus.REJECTED.value,
        "cooldown": settings.KAM_PARTNER_PROPOSAL_COOLDOWN_DAYS,
    }
    # An approved override past its expiry is over: it stops blocking a new request.
    cursor.execute(
        """
        UPDATE relationships_ladderoverride ov SET status = %(expired)s
          FROM ladder_result r
         WHERE ov.account_id = r.account_id AND ov.status = %(approved)s AND ov.expires_on < %(t)s
        """,
        params,
    )
    expired = cursor.rowcount
    cursor.execute(
        f"""
        INSERT INTO relationships_laddertransition
               (account_id, from_stage, to_stage, rule_stage, mode, as_of, occurred_at, evidence, run_id, actor_id,
                note)
        SELECT account_id, (%(stages)s::text[])[current_stage + 1], (%(stages)s::text[])[new_stage + 1],
               (%(stages)s::text[])[rule_stage + 1],
               CASE WHEN pinned_stage IS NOT NULL THEN %(override)s ELSE %(automatic)s END,
               %(t)s, now(), {_evidence_json()}, %(run)s, %(actor)s,
               CASE WHEN pinned_stage IS NOT NULL THEN 'Pinned by an approved override.'
                    WHEN propose_partner THEN 'The rules give Partner; it waits at Advocate for a director.'
                    ELSE '' END
          FROM ladder_result
         WHERE new_stage <> current_stage
         ORDER BY account_id
        """,  # noqa: S608 (constants only)
        params,
    )
    # The tallies, in one pass: per new stage, how many, how many moved up and down.
    cursor.execute(
        """
        SELECT new_stage, count(*), count(*) FILTER (WHERE new_stage > current_stage),
               count(*) FILTER (WHERE new_stage < current_stage)
          FROM ladder_result GROUP BY new_stage
        """
    )
    per_stage = dict.fromkeys(STAGES, 0)
    up = down = 0
    for stage, count, moved_up, moved_down in cursor.fetchall():
        per_stage[STAGES[stage]] = count
        up += moved_up
        down += moved_down
    cursor.execute(
        """
        UPDATE accounts_account a SET stage = (%(stages)s::text[])[r.new_stage + 1]
          FROM ladder_result r
         WHERE a.id = r.account_id AND r.new_stage <> r.current_stage
        """,
        params,
    )
    # The state row of an account is written when it is new or when its stage or rule stage moved.
    cursor.execute(
        """
        INSERT INTO relationships_ladderstate AS s (account_id, stage, rule_stage, since, updated_at)
        SELECT r.account_id, (%(stages)s::text[])[r.new_stage + 1], (%(stages)s::text[])[r.rule_stage + 1],
               CASE WHEN r.new_stage <> r.current_stage OR s0.account_id IS NULL THEN %(t)s ELSE s0.since END,
               now()
          FROM ladder_result r
          LEFT JOIN relationships_ladderstate s0 ON s0.account_id = r.account_id
         WHERE s0.account_id IS NULL
            OR s0.stage <> (%(stages)s::text[])[r.new_stage + 1]
            OR s0.rule_stage <> (%(stages)s::text[])[r.rule_stage + 1]
        ON CONFLICT (account_id) DO UPDATE
           SET stage = EXCLUDED.stage, rule_stage = EXCLUDED.rule_stage, since = EXCLUDED.since,
               updated_at = EXCLUDED.updated_at
        """,
        params,
    )
    states = cursor.rowcount
    # Partner: open a proposal unless one is open, or a director rejected one within the cool-down.
    cursor.execute(
        f"""
        INSERT INTO relationships_partnerproposal (account_id, status, as_of, evidence, created_at, decision_note)
        SELECT r.account_id, %(open)s, %(t)s, {_evidence_json("r.")}, now(), ''
          FROM ladder_result r
         WHERE r.propose_partner
           AND NOT EXISTS (SELECT 1 FROM relationships_partnerproposal pp
                            WHERE pp.account_id = r.account_id
                              AND (pp.status = %(open)s
                                   OR (pp.status = %(rejected)s
                                       AND pp.decided_at > now() - make_interval(days => %(cooldown)s))))
         ORDER BY r.account_id
        ON CONFLICT DO NOTHING
        RETURNING id, account_id, (SELECT name FROM accounts_account WHERE id = account_id)
        """,  # noqa: S608 (constants only)
        params,
    )
    opened = cursor.fetchall()
    proposals = len(opened)
    if opened:
        partner_proposals_announce(proposals=opened)
    return {
        "moved_up": up,
        "moved_down": down,
        "states_written": states,
        "proposals_opened": proposals,
        "overrides_expired": expired,
        "per_stage": per_stage,
    }


def ladder_tally(cursor: CursorWrapper) -> dict[str, Any]:
    """What a back-dated evaluation found, without writing it."""
    cursor.execute(
        """
        SELECT count(*) FILTER (WHERE new_stage > current_stage), count(*) FILTER (WHERE new_stage < current_stage),
               count(*) FILTER (WHERE propose_partner)
          FROM ladder_result
        """
    )
    up, down, partner = cursor.fetchone()
    return {"would_move_up": up, "would_move_down": down, "would_propose_partner": partner}
