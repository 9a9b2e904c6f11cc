"""The shared filters (``kam.filtering``) in the forms an index serves (issue 10), answering as before."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.filters import AccountFilterSet, InvoiceFilterSet, OrderFilterSet
from accounts.models import Account, Invoice, Order
from accounts.selectors import accounts_with_score
from relationships.filters import InteractionFilterSet
from relationships.models import Interaction
from tests.factories import AccountFactory, InteractionFactory, InvoiceFactory, OrderFactory, score_current

pytestmark = pytest.mark.django_db


def test_a_descending_sort_of_a_not_null_column_says_no_nulls_last_and_breaks_ties_backwards(account):
    # given orders with ties on the amount
    for amount in ("5.00", "9.00", "5.00", "7.00"):
        OrderFactory(account=account, net_amount=Decimal(amount))
    # when they are sorted by amount, largest first
    ordered = OrderFilterSet({"ordering": "-net_amount"}, queryset=Order.objects.all()).qs
    # then NULLS LAST is not said and ties come by id, descending: the (amount, id) index read backwards
    # serves the whole order, so a page is read off it instead of sorting every order
    assert "NULLS LAST" not in str(ordered.query)
    assert str(ordered.query).endswith('ORDER BY "accounts_order"."net_amount" DESC, "accounts_order"."id" DESC')
    rows = list(ordered.values_list("net_amount", "pk"))
    assert rows == sorted(rows, key=lambda row: (-row[0], -row[1]))


def test_a_sort_of_a_nullable_column_puts_the_empty_values_last_either_way(account):
    # given paid and open invoices
    paid = [InvoiceFactory(account=account, paid=True) for _ in range(2)]
    open_ = InvoiceFactory(account=account)
    for ordering in ("paid_date", "-paid_date"):
        # when they are sorted by the day they were paid, either way
        ordered = list(InvoiceFilterSet({"ordering": ordering}, queryset=Invoice.objects.all()).qs)
        # then the open one (no paid date) comes last
        assert ordered[-1] == open_ and set(ordered[:2]) == set(paid)


def test_a_sort_by_an_annotation_puts_the_empty_values_last(account):
    # given a scored account and an unscored one
    AccountFactory(name="Unscored")
    score_current(account, kas="61.00")
    # when the accounts are sorted by KAS, highest first
    ordered = AccountFilterSet({"ordering": "-kas"}, queryset=accounts_with_score(Account.objects.all())).qs
    # then the unscored one is last, NULLS LAST said
    assert "NULLS LAST" in str(ordered.query)
    assert [a.name for a in ordered] == ["Acme Industries", "Unscored"]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Los_Angeles"])
def test_a_day_of_a_date_time_is_the_day_in_the_current_time_zone(settings, account, zone):
    # given interactions around midnight of the 10th, in the site's time zone
    settings.TIME_ZONE = zone
    timezone.activate(ZoneInfo(zone))
    try:
        local = ZoneInfo(zone)
        for day, hour, minute in ((9, 23, 59), (10, 0, 0), (10, 23, 59), (11, 0, 0)):
            when = datetime.datetime(2026, 3, day, hour, minute, tzinfo=local)
            InteractionFactory(account=account, occurred_at=when, subject=f"{day} {hour}:{minute}")
        everything = Interaction.objects.all()
        for params, lookup in (
            ({"occurred_at_after": "2026-03-10"}, {"occurred_at__date__gte": datetime.date(2026, 3, 10)}),
            ({"occurred_at_before": "2026-03-10"}, {"occurred_at__date__lte": datetime.date(2026, 3, 10)}),
        ):
            # when they are filtered by the day
            filtered = InteractionFilterSet(params, queryset=everything).qs
            # then the answer is what the day of each in that zone says, and the column is compared as it is
            assert set(filtered) == set(everything.filter(**lookup))
            assert "::date" not in str(filtered.query) and "AT TIME ZONE" not in str(filtered.query)
    finally:
        timezone.deactivate()


def test_a_country_matches_in_any_case_and_only_a_country(account):
    # given accounts in Germany and Austria
    Account.objects.filter(pk=account.pk).update(country="DE")
    AccountFactory(name="Wien AG", country="AT")
    for value, expected in (("de", ["Acme Industries"]), ("DE", ["Acme Industries"]), ("dé", []), ("d", [])):
        # when the list is filtered by country
        by_country = AccountFilterSet({"country": value}, queryset=Account.objects.all()).qs
        # then the case does not matter, and anything not a code finds nothing (as iexact did)
        assert [a.name for a in by_country] == expected
    for value, expected in (("at", ["Wien AG"]), ("AT", ["Wien AG"]), ("ät", [])):
        # when it is searched for a country (no name nor industry has these letters)
        searched = AccountFilterSet({"search": value}, queryset=Account.objects.all()).qs
        # then the same
        assert [a.name for a in searched] == expected
