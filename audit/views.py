"""The account's history page (``/accounts/<pk>/history/``): older entries than the account page shows."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import account_get
from audit.selectors import HISTORY_PAGE_SIZE, account_history


@login_required
@require_GET
def account_history_page(request: HttpRequest, pk: int) -> HttpResponse:
    account = account_get(user=request.user, pk=pk)  # 404 for an account the user may not see
    raw = request.GET.get("older_than", "")
    if raw and not (raw.isdigit() and len(raw) <= 18):  # an entry id (a bigint), or nothing for the newest
        return HttpResponseBadRequest("older_than: give the number of an entry, as the “Older changes” link does.")
    older_than = int(raw) if raw else None
    history = account_history(account=account, limit=HISTORY_PAGE_SIZE, older_than=older_than)
    return render(request, "audit/account_history.html", {"account": account, "history": history})
