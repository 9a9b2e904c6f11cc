"""The KPI dashboard (the home page): every figure against a portfolio whose numbers are worked out by hand, the
manager's restriction, the filters and their 400s, the CSV exports, and a bounded number of queries."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import AccountKind, KeyStatus, LadderStage
from accounts.models import Account, ScoringRun
from benefits.choices import GrantStatus
from benefits.models import BenefitCost
from kam import dashboard
from kam.dashboard import Filters, period_window
from kam.models import DashboardCell
from relationships.choices import TransitionMode
from relationships.models import ContactCadence, LadderTransition
from tests.benefits.factories import BenefitGrantFactory
from tests.factories import (
    PASSWORD,
    AccountFactory,
    AccountScoreFactory,
    FeedbackFactory,
    ScoringRunFactory,
    manager_factory,
    score_inputs,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def score(run, account, kas, *, months, r12=0, overdue=0, status=None, kas_previous=None):
    status = status or account.key_status
    return AccountScoreFactory(
        run=run,
        account=account,
        kas=Decimal(kas),
        kas_previous=None if kas_previous is None else Decimal(kas_previous),
        computed_key_status=status,
        key_status=status,
        inputs=score_inputs(months, r12=r12, overdue=overdue),
    )


@pytest.fixture
def portfolio(manager, colleague, outsider):
    """Six active accounts and a lost one, scored now and a year ago (numbers in the module's tests)."""
    current = ScoringRunFactory(as_of=TODAY)
    cohort = ScoringRunFactory(as_of=TODAY - datetime.timedelta(days=365))
    # a run between them is neither the current one nor the cohort
    ScoringRunFactory(as_of=TODAY - datetime.timedelta(days=200))

    def account(name, **fields):
        return AccountFactory(name=name, **fields)

    strat = account("Strat AG", owner=manager, key_status=KeyStatus.STRATEGIC, stage=LadderStage.PARTNER)
    key1 = account("Keyone SA", owner=manager, key_status=KeyStatus.KEY, stage=LadderStage.ADVOCATE)
    cand = account("Candid Ltd", owner=manager, key_status=KeyStatus.CANDIDATE, stage=LadderStage.CLIENT)
    std = account(
        "Standard Supplies",
        owner=colleague,
        kind=AccountKind.SUPPLIER,
        industry="Energy",
        key_status=KeyStatus.STANDARD,
        stage=LadderStage.CUSTOMER,
    )
    prospect = account("Prospect Inc", owner=colleague, key_status=KeyStatus.STANDARD, stage=LadderStage.PROSPECT)
    gone = account("Gone GmbH", owner=manager, key_status=KeyStatus.KEY, is_active=False)
    other = account("Otto Trading", owner=outsider, key_status=KeyStatus.KEY, stage=LadderStage.CLIENT)

    score(current, strat, "100.00", kas_previous="99.00", months=[50] * 12, r12=700)
    score(current, key1, "70.00", kas_previous="77.00", months=[25] * 12, r12=300, overdue=250)
    score(current, cand, "55.00", months=[0] * 9 + [20] * 3, r12=100, overdue=80)
    score(current, std, "10.00", months=[10] * 4 + [0] * 8, r12=40)
    score(current, other, "80.00", months=[10] * 12, r12=120)
    for acct, status, r12 in (
        (strat, KeyStatus.STRATEGIC, 500),
        (key1, KeyStatus.KEY, 400),
        (cand, KeyStatus.KEY, 200),
        (gone, KeyStatus.KEY, 100),
        (other, KeyStatus.KEY, 100),
        (std, KeyStatus.STANDARD, 999),
    ):
        score(cohort, acct, "75.00", months=[0] * 12, r12=r12, status=status)

    ContactCadence.objects.create(
        account=strat,
        allowed_days=30,
        due_on=TODAY - datetime.timedelta(days=12),
        overdue_since=TODAY - datetime.timedelta(days=11),
    )
    FeedbackFactory(account=other, score=4, responded_on=TODAY - datetime.timedelta(days=10))
    FeedbackFactory(account=strat, score=3, responded_on=TODAY - datetime.timedelta(days=200))  # too old
    FeedbackFactory(account=key1, score=9, responded_on=TODAY - datetime.timedelta(days=5))  # a promoter
    for acct, from_stage, to_stage, days in (
        (strat, LadderStage.ADVOCATE, LadderStage.PARTNER, 20),
        (cand, LadderStage.SUPPORTER, LadderStage.CLIENT, 40),
        (key1, LadderStage.SUPPORTER, LadderStage.ADVOCATE, 120),  # older than 90 days
    ):
        LadderTransition.objects.create(
            account=acct,
            from_stage=from_stage,
            to_stage=to_stage,
            rule_stage=to_stage,
            mode=TransitionMode.AUTOMATIC,
            as_of=TODAY - datetime.timedelta(days=days),
        )
    # 900 committed over 90 days, 31 of them since it started: 310.00 in the period
    BenefitGrantFactory(
        account=key1,
        status=GrantStatus.ACTIVE,
        valid_from=TODAY - datetime.timedelta(days=30),
        valid_to=TODAY + datetime.timedelta(days=59),
        committed_cost=Decimal("900.00"),
        decided_at=timezone.now(),
    )
    # recorded costs: 120 in the period, 999 long before it
    recorded = BenefitGrantFactory(
        account=strat,
        status=GrantStatus.ACTIVE,
        valid_from=TODAY - datetime.timedelta(days=450),
        valid_to=TODAY + datetime.timedelta(days=10),
        committed_cost=Decimal("5000.00"),
        decided_at=timezone.now(),
    )
    BenefitCost.objects.create(grant=recorded, incurred_on=TODAY - datetime.timedelta(days=5), amount=Decimal("120"))
    BenefitCost.objects.create(grant=recorded, incurred_on=TODAY - datetime.timedelta(days=420), amount=Decimal("999"))
    # a request costs nothing
    BenefitGrantFactory(account=cand, status=GrantStatus.REQUESTED, committed_cost=Decimal("0"))
    return {"strat": strat, "key1": key1, "cand": cand, "std": std, "prospect": prospect, "gone": gone, "other": other}


def board_for(user, **filters):
    return dashboard.dashboard(user=user, filters=Filters(**filters), today=TODAY)


# --- the figures, by hand ------------------------------------------------------------------------------------


def test_key_account_share_of_twelve_months_revenue(portfolio, director):
    board = board_for(director)
    h = board.headline
    # revenue M1…M12: strat 600, key1 300, cand 60, std 40, other 120; the prospect is not scored
    assert (h.accounts, h.scored, h.strategic, h.key) == (6, 5, 1, 2)
    assert h.revenue == Decimal(1120)
    assert h.key_revenue == Decimal(1020)  # strat + key1 + other
    assert h.key_share == Decimal("91.1")  # 1020 / 1120
    by_status = {row.status: (row.accounts, row.revenue, row.share) for row in board.by_status}
    assert by_status[KeyStatus.CANDIDATE] == (1, Decimal(60), Decimal("5.4"))
    assert by_status[KeyStatus.STANDARD] == (2, Decimal(40), Decimal("3.6"))


def test_a_shorter_period_sums_the_last_complete_months(portfolio, director):
    board = board_for(director, period=3)
    # M10…M12: strat 150, key1 75, cand 60, std 0, other 30
    assert board.headline.revenue == Decimal(315)
    assert board.headline.key_share == Decimal("81.0")  # 255 / 315
    first_of_month = TODAY.replace(day=1)
    assert board.period_end == first_of_month - datetime.timedelta(days=1)
    assert board.period_start.day == 1 and (board.period_end - board.period_start).days in range(88, 93)


def test_retention_follows_last_years_key_accounts(portfolio, director):
    retention = board_for(director).retention
    assert retention.cohort_as_of == TODAY - datetime.timedelta(days=365)
    # cohort: strat, key1, cand, gone, other (std was standard)
    assert (retention.cohort, retention.retained, retention.downgraded, retention.lost) == (5, 3, 1, 1)
    assert retention.logo_rate == Decimal("60.0")
    assert retention.revenue_before == Decimal(1300)  # 500 + 400 + 200 + 100 + 100
    assert retention.revenue_now == Decimal(1220)  # 700 + 300 + 100 + 0 + 120
    assert retention.revenue_rate == Decimal("93.8")
    assert retention.buying == 4
    assert retention.gained == 0


def test_ladder_funnel_and_moves(portfolio, director):
    ladder = board_for(director).ladder
    funnel = {row["stage"]: (row["count"], row["at_or_above"]) for row in ladder["funnel"]}
    assert funnel == {
        "prospect": (1, 6),
        "customer": (1, 5),
        "client": (2, 4),
        "supporter": (0, 2),
        "advocate": (1, 2),
        "partner": (1, 1),
    }
    assert (ladder["moves_up"], ladder["moves_down"]) == (1, 1)
    table = dashboard_tables(director)["funnel"]
    assert [row[3] for row in table.rows] == [
        None,
        Decimal("83.3"),
        Decimal("80.0"),
        Decimal("50.0"),
        Decimal("100.0"),
        Decimal("50.0"),
    ]


def test_kas_distribution_by_status(portfolio, director):
    board = board_for(director)
    histogram = {bucket.label: {s: n for s, n in bucket.counts.items() if n} for bucket in board.kas}
    assert histogram["90–100"] == {KeyStatus.STRATEGIC: 1}  # a KAS of 100 falls in the last bucket
    assert histogram["80–90"] == {KeyStatus.KEY: 1}
    assert histogram["70–80"] == {KeyStatus.KEY: 1}
    assert histogram["50–60"] == {KeyStatus.CANDIDATE: 1}
    assert histogram["10–20"] == {KeyStatus.STANDARD: 1}
    assert sum(bucket.total for bucket in board.kas) == 5
    assert board.unscored == 1


def test_benefit_cost_against_revenue_and_return(portfolio, director):
    benefits = board_for(director).benefits
    total = benefits.total()
    assert total.grants == 2
    assert total.cost_in_period == Decimal("430.00")  # 310.00 prorated + 120 recorded
    assert benefits.cost_share == Decimal("42.2")  # of the key accounts' 1,020
    # no orders: no revenue during or before, so the return is minus the cost to date (310 + 1,119 recorded)
    assert total.cost == Decimal("1429.00")
    assert total.roi == Decimal("-1429.00")
    assert total.roi_rate == Decimal("-100.0")


def test_at_risk_key_accounts_with_their_reasons(portfolio, director):
    board = board_for(director)
    assert board.headline.at_risk == 3
    names = [(item.account.name, item.reasons) for item in board.at_risk]
    assert names[0] == (
        "Keyone SA",
        ["KAS down 7.00 points since the run before", "250.00 EUR of invoices overdue"],
    )
    assert [name for name, _ in names[1:]] == ["Strat AG", "Otto Trading"]
    assert names[1][1] == [f"contact overdue since {TODAY - datetime.timedelta(days=11):%Y-%m-%d}"]
    assert names[2][1] == ["a detractor (NPS 6 or less) in the last 180 days"]


def test_each_managers_load(portfolio, director, manager, colleague, outsider):
    loads = {load.owner_id: load for load in board_for(director).managers}
    mara = loads[manager.pk]
    assert (mara.accounts, mara.strategic, mara.key, mara.revenue, mara.contact_overdue, mara.at_risk) == (
        3,
        1,
        1,
        Decimal(960),
        1,
        2,
    )
    assert (loads[colleague.pk].accounts, loads[colleague.pk].revenue) == (2, Decimal(40))
    assert (loads[outsider.pk].key, loads[outsider.pk].at_risk) == (1, 1)
    assert loads[manager.pk].name == "Mara Manager"


# --- a manager sees their accounts only -------------------------------------------------------------------------


def test_a_manager_sees_the_figures_of_their_accounts(portfolio, manager):
    board = board_for(manager)
    assert (board.headline.accounts, board.headline.key_and_strategic) == (3, 2)
    assert board.headline.key_share == Decimal("93.8")  # 900 of 960
    assert (board.retention.cohort, board.retention.retained) == (4, 2)
    assert board.retention.revenue_rate == Decimal("91.7")  # 1,100 of 1,200
    assert [load.owner_id for load in board.managers] == [manager.pk]
    assert "Otto Trading" not in [item.account.name for item in board.at_risk]
    assert board.benefits.total().cost_in_period == Decimal("430.00")


def test_an_outsider_sees_none_of_it(portfolio, client):
    nobody = manager_factory(username="newcomer")
    client.force_login(nobody)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    board = response.context["board"]
    assert board.headline.accounts == 0 and board.headline.revenue == 0
    assert board.retention.cohort == 0
    assert b"Strat AG" not in response.content and b"Otto Trading" not in response.content


def test_filters_narrow_every_figure(portfolio, director):
    suppliers = board_for(director, kind=AccountKind.SUPPLIER)
    assert (suppliers.headline.accounts, suppliers.headline.revenue) == (1, Decimal(40))
    assert suppliers.retention.cohort == 0
    energy = board_for(director, industry="Energy")
    assert energy.headline.accounts == 1
    by_owner = board_for(director, owner_id=portfolio["other"].owner_id)
    assert (by_owner.headline.accounts, by_owner.headline.key_share) == (1, Decimal("100.0"))
    assert by_owner.ladder["total"] == 1


# --- the page -----------------------------------------------------------------------------------------------


def dashboard_tables(user):
    from kam import reports

    return reports.tables(board_for(user))


def test_the_home_page_is_the_dashboard(portfolio, director, client):
    client.force_login(director)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kam="kpi-key-share"' in html and "91.1 %" in html
    assert "60.0 %" in html and "93.8 %" in html  # retention, logo and revenue
    for chart in ("key_share", "retention", "funnel", "kas", "benefits", "managers"):
        assert f'data-kam-chart="chart-{chart}"' in html
        assert f'id="chart-{chart}"' in html  # its data, for Chart.js
        assert f'data-kam="data-{chart}"' in html  # and as a table
    assert "js/Chart.min.js" in html
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html


def test_signing_in_lands_on_the_dashboard(director, client):
    response = client.post(reverse("login"), {"username": "director", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kind": "partner"}, "kind"),
        ({"industry": "Shipbuilding"}, "industry"),
        ({"owner": "abc"}, "owner"),
        ({"period": "7"}, "period"),
        ({"export": "everything"}, "export"),
    ],
)
def test_a_filter_not_offered_is_a_400_naming_it(portfolio, director, client, query, field):
    client.force_login(director)
    response = client.get(reverse("home"), query)
    assert response.status_code == 400
    assert field in response.context["form"].errors


def test_a_manager_cannot_filter_by_an_owner_they_do_not_see(portfolio, manager, outsider, client):
    client.force_login(manager)
    response = client.get(reverse("home"), {"owner": outsider.pk})
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    owners = [value for value, _ in response.context["form"].fields["owner"].choices]
    assert outsider.pk not in owners


def test_each_table_exports_as_csv(portfolio, director, client):
    client.force_login(director)
    response = client.get(reverse("home"), {"export": "key_share", "period": "3"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"kam-key-share-{TODAY:%Y-%m-%d}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Key status", "Accounts", "Revenue, last 3 months (EUR)", "Share of revenue (%)"]
    assert rows[1] == ["Strategic", "1", "150", "47.6"]
    assert rows[-1] == ["All", "6", "315", "100"]
    for name in ("retention", "funnel", "moves", "kas", "benefits", "at_risk", "managers"):
        assert client.get(reverse("home"), {"export": name}).status_code == 200, name


def test_the_at_risk_export_has_every_at_risk_account(portfolio, director, client, monkeypatch):
    monkeypatch.setattr(dashboard, "AT_RISK_SHOWN", 1)
    client.force_login(director)
    page = client.get(reverse("home"))
    assert len(page.context["board"].at_risk) == 1
    rows = list(csv.reader(io.StringIO(client.get(reverse("home"), {"export": "at_risk"}).content.decode())))
    assert [row[0] for row in rows[1:]] == ["Keyone SA", "Strat AG", "Otto Trading"]


def test_without_a_scoring_run(director, manager, client):
    AccountFactory(owner=manager, stage=LadderStage.CLIENT)
    client.force_login(director)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b'data-kam="no-run"' in response.content
    assert response.context["board"].ladder["total"] == 1
    assert client.get(reverse("home"), {"export": "kas"}).status_code == 400


def test_retention_needs_a_run_a_year_back(director, manager, client):
    ScoringRunFactory(as_of=TODAY - datetime.timedelta(days=100))
    AccountFactory(owner=manager, kas="60.00")
    client.force_login(director)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["board"].retention is None
    assert b'data-kam="retention-missing"' in response.content


def test_the_dashboard_takes_a_bounded_number_of_queries(portfolio, director, manager, client):
    client.force_login(director)
    client.get(reverse("home"))  # warm: content types, sessions
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("home")).status_code == 200
    run = dashboard.current_run()
    for n in range(12):
        acct = AccountFactory(owner=manager, key_status=KeyStatus.KEY, stage=LadderStage.CLIENT, industry=f"I{n}")
        score(run, acct, "60.00", kas_previous="70.00", months=[5] * 12, overdue=10)
        FeedbackFactory(account=acct, score=2)
        BenefitGrantFactory(
            account=acct, status=GrantStatus.APPROVED, committed_cost=Decimal("10"), decided_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("home")).status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 20


def test_period_window():
    assert period_window(datetime.date(2026, 12, 1), 12) == (datetime.date(2025, 12, 1), datetime.date(2026, 11, 30))
    assert period_window(datetime.date(2026, 3, 31), 3) == (datetime.date(2025, 12, 1), datetime.date(2026, 2, 28))
    assert period_window(datetime.date(2024, 3, 15), 6) == (datetime.date(2023, 9, 1), datetime.date(2024, 2, 29))


# --- the directors' summary -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [{}, {"period": 3}, {"period": 6, "kind": AccountKind.CUSTOMER}, {"industry": "Energy"}, {"owner": "manager"}],
)
def test_the_summary_gives_a_director_the_live_figures(portfolio, director, manager, filters):
    from kam import reports

    if filters.get("owner"):
        filters = {"owner_id": manager.pk}
    result = dashboard.dashboard_refresh(today=TODAY)
    assert result.run_id == dashboard.current_run().pk and result.cells > 0
    summary = board_for(director, **filters)
    live = dashboard.dashboard(user=director, filters=Filters(**filters), today=TODAY, live=True)
    assert summary.refreshed_at is not None and live.refreshed_at is None
    assert reports.tables(summary) == reports.tables(live)
    assert reports.charts(summary, reports.tables(summary)) == reports.charts(live, reports.tables(live))


def test_a_summary_of_an_earlier_run_is_not_read(portfolio, director):
    dashboard.dashboard_refresh(today=TODAY)
    ScoringRunFactory(as_of=TODAY + datetime.timedelta(days=1))  # a newer run, not yet summarised
    board = board_for(director)
    assert board.refreshed_at is None
    assert board.headline.scored == 0  # the new run scored nobody: the live figures say so


@pytest.mark.parametrize("who", ["manager", "colleague", "outsider"])
def test_the_summary_gives_a_manager_the_live_figures_of_their_accounts(portfolio, who, request):
    from kam import reports

    user = request.getfixturevalue(who)
    dashboard.dashboard_refresh(today=TODAY)
    for filters in ({}, {"period": 3}, {"kind": AccountKind.SUPPLIER}):
        summary = board_for(user, **filters)
        live = dashboard.dashboard(user=user, filters=Filters(**filters), today=TODAY, live=True)
        assert summary.refreshed_at is not None
        assert reports.tables(summary) == reports.tables(live)


def test_a_manager_who_sees_other_accounts_since_the_refresh_is_computed_live(portfolio, manager, outsider):
    dashboard.dashboard_refresh(today=TODAY)
    assert board_for(manager).headline.accounts == 3
    # an account of Mara's goes to Otto: Mara's summary no longer says what she sees
    Account.objects.filter(pk=portfolio["key1"].pk).update(owner=outsider)
    mara = board_for(manager)
    assert mara.refreshed_at is None
    assert mara.headline.accounts == 2
    assert "Keyone SA" not in [item.account.name for item in mara.at_risk]
    # and Otto's shows it at once too
    otto = board_for(outsider)
    assert otto.refreshed_at is None and otto.headline.accounts == 2
    # until the next refresh
    dashboard.dashboard_refresh(today=TODAY)
    assert board_for(outsider).refreshed_at is not None


def test_the_summary_follows_the_daily_tasks(portfolio, director):
    from benefits.tasks import benefits_lifecycle_task
    from relationships.tasks import contact_cadence_check_task

    contact_cadence_check_task()
    assert board_for(director).refreshed_at is not None
    DashboardCell.objects.all().delete()
    benefits_lifecycle_task()
    assert board_for(director).refreshed_at is not None


def test_the_refresh_command(portfolio, director):
    out = io.StringIO()
    call_command("dashboard_refresh", stdout=out)
    assert f"Dashboard summary of scoring run {dashboard.current_run().pk}:" in out.getvalue()
    assert DashboardCell.objects.filter(viewer=None, part="risk").count() == 3
    assert DashboardCell.objects.filter(viewer=director).count() == 0  # a director reads the shared rows
    assert DashboardCell.objects.filter(part="seen").count() == 3  # the three managers
    ScoringRun.objects.all().delete()
    out = io.StringIO()
    call_command("dashboard_refresh", stdout=out)
    assert "No scoring run has finished yet" in out.getvalue() and not DashboardCell.objects.exists()


def test_a_directors_dashboard_from_the_summary_takes_few_queries(portfolio, director, client):
    dashboard.dashboard_refresh(today=TODAY)
    client.force_login(director)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200 and response.context["board"].refreshed_at is not None
    assert b"Figures of the summary refreshed" in response.content
    assert len(queries) <= 20


def test_a_director_asks_for_a_refresh(director, client, django_capture_on_commit_callbacks, monkeypatch):
    from kam.tasks import dashboard_refresh_task

    sent: list[tuple] = []
    monkeypatch.setattr(dashboard_refresh_task, "apply_async", lambda *args, **options: sent.append(args))
    client.force_login(director)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dashboard_refresh"))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert sent == [((),)]  # queued once, after the commit


def test_only_a_director_asks_for_a_refresh(manager, client):
    client.force_login(manager)
    assert client.post(reverse("dashboard_refresh")).status_code == 403
    assert client.get(reverse("dashboard_refresh")).status_code == 405


def test_a_csv_cell_a_spreadsheet_would_run_is_quoted(portfolio, director, client):
    Account.objects.filter(pk=portfolio["key1"].pk).update(name='=HYPERLINK("http://evil.example","x")')
    client.force_login(director)
    rows = list(csv.reader(io.StringIO(client.get(reverse("home"), {"export": "at_risk"}).content.decode())))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[1][4] == "7.00"  # numbers are left alone
    benefits = list(csv.reader(io.StringIO(client.get(reverse("home"), {"export": "benefits"}).content.decode())))
    assert benefits[-1][6] == "-1429.00"  # a negative return stays a number


def test_filter_choices_are_the_industries_and_owners_of_the_visible_accounts(manager, colleague, outsider, director):
    # given accounts of three owners (colleague on the team of one of the manager's), and one without an industry
    shared = AccountFactory(owner=manager, industry="Energy")
    shared.team.add(colleague)
    AccountFactory(owner=manager, industry="Retail")
    AccountFactory(owner=colleague, industry="Mining")
    AccountFactory(owner=outsider, industry="Shipbuilding")
    AccountFactory(owner=outsider, industry="")
    AccountFactory(owner=None, industry="Zinc")

    def choices(user):
        found = dashboard.filter_choices(user=user)
        return [value for value, _ in found["industry"]], {value for value, _ in found["owner"]}

    # then the director (every account, read by walking the indexes) sees each distinct value once, in order
    assert choices(director) == (
        ["Energy", "Mining", "Retail", "Shipbuilding", "Zinc"],
        {manager.pk, colleague.pk, outsider.pk},
    )
    # and a manager what their own and their team's accounts hold
    assert choices(colleague) == (["Energy", "Mining"], {manager.pk, colleague.pk})
    assert choices(manager) == (["Energy", "Retail"], {manager.pk})
