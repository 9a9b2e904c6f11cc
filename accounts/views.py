"""Account pages (placeholder until the portfolio pages land)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from accounts import selectors


@login_required
def account_list(request):
    return HttpResponse(", ".join(a.name for a in selectors.account_list(user=request.user)))


@login_required
def account_detail(request, pk):
    return HttpResponse(selectors.account_get(user=request.user, pk=pk).name)
