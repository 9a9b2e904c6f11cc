"""The benefits pages: the account page's Benefits section (grants, a request form that says what the account may
have and why not, a director's decisions, recorded costs), the director's approval queue, budgets with their
utilisation, the catalog and the ROI report.

Account-scoped URLs fetch the account through ``accounts.selectors.account_get`` (404 for who may not see it);
what a role may not do is a 403. htmx requests get the section they swap; without JavaScript the same URLs
answer with a redirect to the account page, the outcome in a message. The services decide everything; a
refusal shows at the fields it names, or as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import permissions
from accounts import selectors as account_selectors
from accounts.forms import DecisionForm
from accounts.models import Account
from benefits import page_selectors, selectors, services
from benefits.eligibility import rules_described
from benefits.forms import (
    BenefitBudgetForm,
    BenefitCostForm,
    BenefitGrantRequestForm,
    BenefitTypeForm,
    RoiFilterForm,
)
from benefits.models import BenefitGrant, BenefitType
from kam.constraints import errors_by_field
from kam.csv_export import Column, col, csv_export_requested, csv_page_response, user_name
from kam.roles import is_integration

if TYPE_CHECKING:
    from accounts.views import HtmxHttpRequest

ROI_PAGE_SIZE = 100
SECTION_TEMPLATE = "benefits/partials/account_benefits.html"


# --- the account page's section -------------------------------------------------------------------------------


def benefits_context(
    request: HttpRequest,
    account: Account,
    *,
    form: BenefitGrantRequestForm | None = None,
    cost_form: BenefitCostForm | None = None,
    cost_grant: int | None = None,
) -> dict[str, Any]:
    """What the Benefits section needs (``benefits/partials/account_benefits.html``); the account page spreads
    it into its context. The offers (every active benefit checked against the account) are read only for who
    may ask for one."""
    user = request.user
    today = timezone.localdate()
    can_request = permissions.can_request_benefit(user, account)
    offers = (
        selectors.account_benefit_offers(standing=services.account_standing(account=account)) if can_request else []
    )
    grants = list(page_selectors.account_grants_with_history(account=account, today=today))
    can_record_cost = permissions.can_record_benefit_cost(user)
    for grant in grants:
        # A cost is recorded against a grant that was approved (it has a budget to charge); each form has its
        # own ids, and the one just refused keeps its input and errors.
        grant.cost_form = None  # type: ignore[attr-defined]
        if can_record_cost and grant.budget_id is not None:
            refused = cost_form if cost_grant == grant.pk else None
            grant.cost_form = refused or BenefitCostForm(auto_id=f"id_cost_{grant.pk}_%s")  # type: ignore[attr-defined]
    request_form = None
    if can_request:
        request_form = form or BenefitGrantRequestForm()
        request_form.offer([offer.benefit_type for offer in offers])
    return {
        "account": account,
        "benefit_grants": grants,
        "benefit_offers": offers,
        "benefit_request_form": request_form,
        "can_decide_benefit": permissions.can_decide_benefit(user),
        "roi_method": selectors.ROI_METHOD,
        "today": today,
    }


def _section(request: HttpRequest, account: Account, **kwargs: Any) -> HttpResponse:
    return render(request, SECTION_TEMPLATE, benefits_context(request, account, **kwargs))


def _back_to_account(account: Account) -> HttpResponse:
    return redirect(account.get_absolute_url() + "#benefits")


def _error_messages(request: HttpRequest, error: ValidationError) -> None:
    for field_messages in errors_by_field(error).values():
        for message in field_messages:
            messages.error(request, message)


def _form_error_messages(request: HttpRequest, form: Any) -> None:
    """Without htmx the section is not re-rendered: the form's errors travel as messages."""
    for name, field_messages in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for message in field_messages:
            messages.error(request, f"{label}: {message}" if label else message)


@login_required
@require_safe
def account_benefits(request: HtmxHttpRequest, account_pk: int) -> HttpResponse:
    """The account's Benefits section alone, for htmx; the account page otherwise."""
    account = account_selectors.account_get(user=request.user, pk=account_pk)
    if not request.htmx:
        return _back_to_account(account)
    return _section(request, account)


@login_required
@require_POST
def grant_request(request: HtmxHttpRequest, account_pk: int) -> HttpResponse:
    """Ask for a benefit for the account; a refusal (a rule the account breaks, the maximum, the dates) shows
    at the fields."""
    account = account_selectors.account_get(user=request.user, pk=account_pk)
    if not permissions.can_request_benefit(request.user, account):
        raise PermissionDenied("Only those working on the account and directors ask for a benefit.")
    form = BenefitGrantRequestForm(request.POST)
    shown: BenefitGrantRequestForm | None = form  # a fresh form once the request is sent
    if form.is_valid():
        try:
            grant = services.benefit_grant_request(
                actor=request.user,
                account=account,
                benefit_type=form.cleaned_data["benefit_type"],
                values=form.service_values(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            asked = f"{grant.value:.2f} {grant.benefit_type.unit}"
            messages.success(request, f"{grant.benefit_type.name} of {asked} requested: a director decides.")
            shown = None
    if request.htmx:
        return _section(request, account, form=shown)
    if shown is not None:
        _form_error_messages(request, shown)
    return _back_to_account(account)


def _approved_message(grant: BenefitGrant) -> str:
    state = "active from today" if grant.status == "active" else f"starts {grant.valid_from:%d %b %Y}"
    budget = grant.budget
    against = f" against the {budget}" if budget is not None else ""
    return (
        f"{grant.benefit_type.name} for {grant.account.name} approved ({state}): "
        f"{grant.committed_cost} committed{against}."
    )


DECISIONS: dict[str, tuple[Callable[..., BenefitGrant], Callable[[BenefitGrant], str]]] = {
    "approve": (services.benefit_grant_approve, _approved_message),
    "reject": (
        services.benefit_grant_reject,
        lambda grant: f"{grant.benefit_type.name} for {grant.account.name} rejected.",
    ),
    "revoke": (
        services.benefit_grant_revoke,
        lambda grant: (
            f"{grant.benefit_type.name} for {grant.account.name} revoked; what it had not spent went "
            f"back to the budget."
        ),
    ),
}


@login_required
@require_POST
def grant_decide(request: HtmxHttpRequest, account_pk: int, pk: int, decision: str) -> HttpResponse:
    """Approve, reject or revoke a grant (directors). A refusal — the budget, four eyes, eligibility lost, a
    grant already decided — is a message. From the queue (``next=queue``) the director lands back on it."""
    account = account_selectors.account_get(user=request.user, pk=account_pk)
    grant = get_object_or_404(BenefitGrant, pk=pk, account=account)
    if decision not in DECISIONS:
        raise Http404("No such decision.")
    if not permissions.can_decide_benefit(request.user):
        raise PermissionDenied("Only a KAM director decides a benefit.")
    decide, done = DECISIONS[decision]
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        decided = decide(actor=request.user, grant=grant, note=note)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, done(decided))
    if request.POST.get("next") == "queue":
        return redirect("benefits:approvals")
    if request.htmx:
        return _section(request, account)
    return _back_to_account(account)


@login_required
@require_POST
def cost_record(request: HtmxHttpRequest, account_pk: int, pk: int) -> HttpResponse:
    """Record what a grant actually cost (directors and integrations); it is consumed from its budget."""
    account = account_selectors.account_get(user=request.user, pk=account_pk)
    grant = get_object_or_404(BenefitGrant, pk=pk, account=account)
    if not permissions.can_record_benefit_cost(request.user):
        raise PermissionDenied("Costs are recorded by integrations and directors.")
    form = BenefitCostForm(request.POST, auto_id=f"id_cost_{grant.pk}_%s")
    failed: BenefitCostForm | None = form
    if form.is_valid():
        try:
            cost = services.benefit_cost_record(actor=request.user, grant=grant, values=form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Cost of {cost.amount} recorded for {grant.benefit_type.name}.")
            failed = None
    if request.htmx:
        return _section(request, account, cost_form=failed, cost_grant=grant.pk if failed is not None else None)
    if failed is not None:
        _form_error_messages(request, failed)
    return _back_to_account(account)


# --- the director's queue --------------------------------------------------------------------------------------


APPROVAL_COLUMNS = [
    col("Grant ID", "grant.pk"),
    col("Requested", "grant.created_at"),
    col("Account ID", "grant.account_id"),
    col("Account", "grant.account.name"),
    Column("Owner", user_name("grant.account.owner")),
    col("Benefit", "grant.benefit_type.name"),
    col("Category", "grant.benefit_type.get_category_display"),
    col("Value", "grant.value"),
    col("Unit", "grant.benefit_type.unit"),
    col("Valid from", "grant.valid_from"),
    col("Valid to", "grant.valid_to"),
    col("Estimated annual cost", "grant.estimated_annual_cost"),
    col("Would commit", "would_commit"),
    Column("Budget", lambda item: str(item.budget) if item.budget else None),
    Column("Requested by", user_name("grant.requested_by")),
    col("Justification", "grant.justification"),
    Column("No longer eligible", lambda item: "; ".join(failure.message for failure in item.failures)),
]


@login_required
@require_safe
def approvals(request: HttpRequest) -> HttpResponse:
    """Benefit requests waiting for a director, oldest first, with what approving each would commit."""
    if not permissions.can_decide_benefit(request.user):
        raise PermissionDenied("The benefit approvals are for KAM directors.")
    queue = page_selectors.approval_queue(user=request.user)
    if csv_export_requested(request):
        return csv_page_response(rows=queue, columns=APPROVAL_COLUMNS, resource="benefit-requests")
    return render(
        request,
        "benefits/benefitgrant_queue.html",
        {"queue": queue, "decision_form": DecisionForm(), "section": "approvals"},
    )


# --- budgets -----------------------------------------------------------------------------------------------------


BUDGET_COLUMNS = [
    col("ID", "budget.pk"),
    col("Category", "budget.get_category_display"),
    col("Period start", "budget.period_start"),
    col("Period end", "budget.period_end"),
    col("Amount", "budget.amount"),
    col("Committed", "budget.committed"),
    col("Consumed", "budget.consumed"),
    col("Available", "budget.available"),
    col("Committed (%)", "committed_pct"),
    col("Consumed (%)", "consumed_pct"),
    Column("Grants", lambda use: len(use.grants)),
    col("Current", "is_current"),
    col("Note", "budget.note"),
]


def _may_see_budgets(user: Any) -> None:
    if not (permissions.can_decide_benefit(user) or is_integration(user)):
        raise PermissionDenied("Budgets span every account: KAM directors keep them.")


def _may_set_budgets(user: Any) -> None:
    if not permissions.can_decide_benefit(user):
        raise PermissionDenied("KAM directors set the benefit budgets.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def budgets(request: HttpRequest) -> HttpResponse:
    """Budgets per category and period with their utilisation and the grants they carry; directors add one
    here (POST)."""
    _may_see_budgets(request.user)
    form = None
    if permissions.can_decide_benefit(request.user):
        form = BenefitBudgetForm(request.POST if request.method == "POST" else None)
    elif request.method == "POST":
        _may_set_budgets(request.user)
    if form is not None and form.is_bound and form.is_valid():
        try:
            budget = services.benefit_budget_create(actor=request.user, values=form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{budget} added.")
            return redirect(budget)
    today = timezone.localdate()
    if csv_export_requested(request):
        uses = page_selectors.budget_uses(user=request.user, today=today)
        return csv_page_response(rows=uses, columns=BUDGET_COLUMNS, resource="benefit-budgets")
    context = {
        "budgets": page_selectors.budget_uses(user=request.user, today=today),
        "form": form,
        "section": "budgets",
    }
    return render(request, "benefits/benefitbudget_list.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def budget_update(request: HttpRequest, pk: int) -> HttpResponse:
    _may_set_budgets(request.user)
    budget = get_object_or_404(selectors.budgets_visible_to(request.user), pk=pk)
    form = BenefitBudgetForm(request.POST if request.method == "POST" else None, instance=budget)
    if form.is_bound and form.is_valid():
        try:
            budget = services.benefit_budget_update(actor=request.user, budget=budget, values=form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
            budget.refresh_from_db()
        else:
            messages.success(request, f"{budget} saved.")
            return redirect(budget)
    return render(request, "benefits/benefitbudget_form.html", {"form": form, "budget": budget, "section": "budgets"})


# --- the catalog -------------------------------------------------------------------------------------------------


CATALOG_COLUMNS = [
    col("ID", "0.pk"),
    col("Code", "0.code"),
    col("Benefit", "0.name"),
    col("Category", "0.get_category_display"),
    col("Unit", "0.unit"),
    col("Maximum", "0.max_value"),
    Column("Eligibility", lambda entry: entry[1]),
    col("Active", "0.is_active"),
    col("Description", "0.description"),
]


@login_required
@require_safe
def catalog(request: HttpRequest) -> HttpResponse:
    """Every benefit of the catalog with its unit, maximum and eligibility in words."""
    entries = [(benefit_type, rules_described(benefit_type)) for benefit_type in selectors.benefit_types()]
    if csv_export_requested(request):
        return csv_page_response(rows=entries, columns=CATALOG_COLUMNS, resource="benefit-catalog")
    context = {"entries": entries, "can_edit": permissions.can_decide_benefit(request.user), "section": "catalog"}
    return render(request, "benefits/benefittype_list.html", context)


def _type_form_page(request: HttpRequest, form: BenefitTypeForm, benefit_type: BenefitType | None) -> HttpResponse:
    return render(
        request,
        "benefits/benefittype_form.html",
        {"form": form, "benefit_type": benefit_type, "section": "catalog"},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def type_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_decide_benefit(request.user):
        raise PermissionDenied("KAM directors keep the benefit catalog.")
    form = BenefitTypeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            benefit_type = services.benefit_type_create(actor=request.user, values=form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{benefit_type} added to the catalog.")
            return redirect(benefit_type)
    return _type_form_page(request, form, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def type_update(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_decide_benefit(request.user):
        raise PermissionDenied("KAM directors keep the benefit catalog.")
    benefit_type = get_object_or_404(selectors.benefit_types(), pk=pk)
    form = BenefitTypeForm(request.POST if request.method == "POST" else None, instance=benefit_type)
    if form.is_bound and form.is_valid():
        try:
            benefit_type = services.benefit_type_update(
                actor=request.user, benefit_type=benefit_type, values=form.service_values()
            )
        except ValidationError as error:
            form.add_service_errors(error)
            benefit_type.refresh_from_db()
        else:
            messages.success(request, f"{benefit_type} saved.")
            return redirect(benefit_type)
    return _type_form_page(request, form, benefit_type)


# --- the ROI report ----------------------------------------------------------------------------------------------


ROI_COLUMNS = [
    col("Grant ID", "pk"),
    col("Account ID", "account_id"),
    col("Account", "account.name"),
    col("Benefit", "benefit_type.name"),
    col("Category", "benefit_type.get_category_display"),
    col("Status", "get_status_display"),
    col("Valid from", "valid_from"),
    col("Valid to", "valid_to"),
    col("Revenue during", "revenue_during"),
    col("Revenue before", "revenue_before"),
    col("Cost", "cost"),
    col("ROI", "roi"),
]


@login_required
@require_safe
def roi(request: HttpRequest) -> HttpResponse:
    """Granted benefits with their revenue during and before, cost and ROI, and the totals; managers see the
    grants of their accounts."""
    filters = RoiFilterForm(request.GET)
    chosen = filters.filters()
    today = timezone.localdate()
    grants = page_selectors.grant_roi_report(user=request.user, today=today, **chosen)
    if csv_export_requested(request):
        return csv_page_response(rows=grants, columns=ROI_COLUMNS, resource="benefit-roi")
    page = Paginator(grants, ROI_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "chosen": chosen,
        "ordering": chosen["ordering"],
        "page": page,
        "totals": page_selectors.grant_roi_report_totals(grants=grants),
        "roi_method": selectors.ROI_METHOD,
        "today": today,
        "section": "roi",
    }
    return render(request, "benefits/benefitgrant_roi.html", context)
