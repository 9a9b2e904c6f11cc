"""The API tokens page (``/tokens/``): your tokens (directors: everybody's, with their owner), a form to create
one whose key is shown in that very response, once, and a revoke button per token.

The key is never stored, so it cannot survive a redirect: the create POST answers with the page itself, key
included, and no page is cached (``never_cache``), so the back button cannot bring a key back either.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kam import selectors, services
from kam.csv_export import Column, col, csv_export_requested, csv_page_response, user_name
from kam.filters import ApiTokenFilterSet
from kam.forms import ApiTokenForm
from kam.models import ApiToken
from kam.roles import is_director

TOKENS_PAGE_SIZE = 50


# Never the key (it is not stored): its prefix, as the page shows it.
TOKEN_COLUMNS = [
    col("ID", "pk"),
    col("Name", "name"),
    col("Prefix", "prefix"),
    Column("User", user_name("user")),
    col("Created", "created_at"),
    col("Last used", "last_used_at"),
    col("Revoked", "revoked_at"),
]


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def api_token_list(request: HttpRequest) -> HttpResponse:
    """List the tokens the user sees (``?mine=true`` narrows a director's to their own) and, on POST, create
    one for the user and show its key this once. A blank or too long name is a 400 with the error at the field;
    a malformed filter a 400 that says which."""
    form = ApiTokenForm()
    created: ApiToken | None = None
    key = ""
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                created, key = services.api_token_create(actor=request.user, name=form.cleaned_data["name"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                form = ApiTokenForm()
    filterset = ApiTokenFilterSet(request.GET, queryset=selectors.api_token_list(user=request.user), request=request)
    page = None
    if filterset.is_valid():
        if csv_export_requested(request):
            return csv_page_response(rows=filterset.qs, columns=TOKEN_COLUMNS, resource="api-tokens")
        page = Paginator(filterset.qs, TOKENS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filter_form": filterset.form,
        "page": page,
        "created": created,
        "key": key,
        "sees_everybodys": is_director(request.user),
        "mine_only": request.GET.get("mine") == "true",
        "ordering": request.GET.get("ordering", "") if page is not None else "",
    }
    ok = page is not None and not form.errors
    return render(request, "kam/api_token_list.html", context, status=200 if ok else 400)


def _back_to_list(request: HttpRequest) -> str:
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return reverse("tokens")


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a token the user sees (their own; a director anyone's): its key fails from the next request on.
    Anyone else's is a 404; revoking twice says so and changes nothing."""
    token = selectors.api_token_get(user=request.user, pk=pk)
    was_active = token.is_active
    services.api_token_revoke(actor=request.user, token=token)
    label = f"“{token.name}” ({token.prefix}…)"
    if was_active:
        messages.success(request, f"Token {label} revoked: its key no longer works.")
    else:
        messages.info(request, f"Token {label} was already revoked.")
    return redirect(_back_to_list(request))
