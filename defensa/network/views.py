"""Thin views: load through `access`, validate with a form, call one action, respond."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from defensa.core import ratelimit
from defensa.core.access import MfaRequired, SignInRequired, first_or_404
from defensa.core.errors import ActionRefused
from defensa.network import access, actions, forms
from defensa.network.access import Can, Viewer
from defensa.network.models import ROLE_NEEDS_QUALIFICATION, Committee, QualificationKind, Role

View = Callable[..., HttpResponse]

REPORT_READERS = frozenset({Role.DISPATCHER, Role.COORDINATOR, Role.DOCUMENTARIAN})


def staff_view(view: View) -> View:
    """Sign-in and a second factor first; then the view gets the request's Viewer."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            viewer = access.viewer_for(request)
        except SignInRequired:
            return redirect_to_login(request.get_full_path())
        except MfaRequired:
            return redirect("network:mfa_required")
        return view(request, viewer, *args, **kwargs)

    return wrapper


def _refused(request: HttpRequest, form: Any, exc: ActionRefused) -> None:
    if form is not None and exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    elif form is not None:
        form.add_error(None, exc.message)
    else:
        messages.error(request, exc.message)


def member_card(m: Any, committee: Committee) -> dict[str, Any]:
    """What the roster shows of one membership, with labels resolved."""
    spoken = dict(settings.DEFENSA_SPOKEN_LANGUAGES)
    roles = sorted(r.role for r in m.roles.all())
    qualifications = list(m.person.qualifications.all())
    valid_kinds = {q.kind for q in qualifications if q.is_valid}
    return {
        "code": m.code,
        "name": m.person.display_name,
        "languages": [str(spoken.get(code, code)) for code in m.person.languages],
        "roles": [(role, Role(role).label) for role in roles],
        "qualifications": [
            {
                "code": q.code,
                "label": QualificationKind(q.kind).label,
                "expires_at": q.expires_at,
                "valid": q.is_valid,
                # Only the committee that granted a qualification may revoke it.
                "revocable": q.committee_id == committee.id,
            }
            for q in qualifications
        ],
        # Roles held without the valid qualification they need: shown as a warning.
        "unqualified": [
            Role(role).label
            for role in roles
            if ROLE_NEEDS_QUALIFICATION.get(role)
            and ROLE_NEEDS_QUALIFICATION[role] not in valid_kinds
        ],
    }


# --- Personal pages ---------------------------------------------------------------------------


def mfa_required(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("network:dashboard"))
    enrolled = Authenticator.objects.filter(
        user_id=request.user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()
    return render(request, "network/mfa_required.html", {"enrolled": enrolled})


@staff_view
def dashboard(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    committees = [
        (committee, [Role(r).label for r in sorted(access.roles_in(viewer, committee))])
        for committee in access.my_committees(viewer)
    ]
    return render(
        request,
        "network/dashboard.html",
        {
            "committees": committees,
            "networks": access.administered_networks(viewer),
            "viewer": viewer,
        },
    )


@staff_view
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    person = viewer.person
    if person is None:
        raise access.NotFound
    methods = access.contact_methods(viewer, person)
    contacts = {c["kind"]: c["value"] for c in methods}
    initial = {
        "display_name": person.display_name,
        "languages": person.languages,
        "preferred": methods[0]["kind"] if methods else "",
        **contacts,
    }
    form = forms.ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_profile(
                actor=person,
                person=person,
                display_name=form.cleaned_data["display_name"],
                languages=form.cleaned_data["languages"],
                contacts=form.contacts(),
            )
        except ActionRefused as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("network:profile")
    return render(request, "network/profile.html", {"form": form})


# Guessing a 60-bit code is hopeless anyway; this keeps floods of attempts cheap to refuse.
JOIN_ATTEMPTS = 10
JOIN_WINDOW = 600


@staff_view
@require_POST
def sign_out_other_sessions(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """For a lost phone or a shared computer: every other session of mine ends now."""
    actions.sign_out_everywhere(actor=viewer.person, user=viewer.user)
    viewer.user.refresh_from_db(fields=["session_epoch"])
    update_session_auth_hash(request, viewer.user)
    messages.success(request, _("All your other sessions were signed out."))
    return redirect("network:profile")


# --- Joining ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str = "") -> HttpResponse:
    """Accept an invitation: a new account, or (signed in) a membership in one more committee."""
    signed_in = request.user.is_authenticated
    if signed_in:
        # Joining one more committee is protected like everything else a member does.
        try:
            access.viewer_for(request)
        except MfaRequired:
            return redirect("network:mfa_required")
    form_class = forms.CodeForm if signed_in else forms.JoinForm
    form = form_class(request.POST or None, initial={"code": token})
    if request.method == "POST" and not ratelimit.allow(
        request, scope="join", limit=JOIN_ATTEMPTS, window=JOIN_WINDOW
    ):
        form.add_error(None, _("Too many attempts. Wait ten minutes and try again."))
        context = {"form": form, "signed_in": signed_in}
        return render(request, "network/join.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if signed_in:
                membership = actions.accept_invitation(token=data["code"], user=request.user)  # type: ignore[arg-type]
            else:
                membership = actions.accept_invitation(
                    token=data["code"],
                    user=None,
                    username=data["username"],
                    password=data["password1"],
                    display_name=data["display_name"],
                    languages=data["languages"],
                )
        except ActionRefused as exc:
            _refused(request, form, exc)
        else:
            if not signed_in:
                user = membership.person.user
                assert user is not None
                login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
                record_authentication(request, user, "password", username=user.username)
                messages.success(
                    request,
                    _("Welcome! One more step: protect your account with a second factor."),
                )
                return redirect("network:mfa_required")
            messages.success(
                request,
                _("You joined %(committee)s.") % {"committee": membership.committee.name},
            )
            return redirect("network:dashboard")
    return render(request, "network/join.html", {"form": form, "signed_in": signed_in})


# --- Committee home ---------------------------------------------------------------------------


def _home_context(viewer: Viewer, committee: Committee, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "committee": committee,
        "my_roles": [Role(r).label for r in sorted(access.roles_in(viewer, committee))],
        "zones": access.zones(viewer, committee),
        "area": access.committee_area(viewer, committee),
        "is_coordinator": viewer.can(Can.VIEW_ROSTER, committee.id),
        # Only for showing the link; the reports app decides who reads (a test keeps them equal).
        "reads_reports": bool(access.roles_in(viewer, committee) & REPORT_READERS),
    }
    if context["is_coordinator"]:
        context.update(
            roster=[member_card(m, committee) for m in access.roster(viewer, committee)],
            invitations=access.invitations(viewer, committee),
            invitation_form=forms.InvitationForm(),
            qualification_form=forms.QualificationForm(),
            zone_form=forms.ZoneForm(),
            area_form=forms.AreaUnitForm(zones=list(context["zones"])),
            roles=forms.GRANTABLE_ROLES,
            qualification_kinds=QualificationKind,
        )
    context.update(extra)
    return context


@staff_view
def committee_home(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, Can.VIEW_COMMITTEE)
    return render(request, "network/committee.html", _home_context(viewer, found))


@staff_view
@require_POST
def issue_invitation(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, Can.MANAGE_MEMBERS)
    form = forms.InvitationForm(request.POST)
    issued: dict[str, Any] = {}
    if form.is_valid():
        try:
            invitation, token = actions.issue_invitation(
                actor=viewer.person, committee=found, roles=form.cleaned_data["roles"]
            )
        except ActionRefused as exc:
            _refused(request, form, exc)
        else:
            link = request.build_absolute_uri(reverse("network:join_token", args=[token]))
            issued = {"token": token, "link": link, "invitation": invitation}
    # The code is shown in this response only; it is not stored anywhere readable.
    return render(
        request,
        "network/committee.html",
        _home_context(viewer, found, invitation_form=form, issued=issued),
    )


@staff_view
@require_POST
def revoke_invitation(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, invitation: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, Can.MANAGE_MEMBERS)
    actions.revoke_invitation(
        actor=viewer.person, invitation=access.invitation(viewer, found, invitation)
    )
    messages.success(request, _("The invitation was cancelled."))
    return redirect("network:committee", committee=found.code)


@staff_view
@require_POST
def change_role(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, membership: uuid.UUID
) -> HttpResponse:
    found, member = access.committee_member(viewer, committee, membership, Can.MANAGE_MEMBERS)
    form = forms.RoleForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Choose a role.")
    else:
        try:
            if form.cleaned_data["op"] == "grant":
                actions.grant_role(
                    actor=viewer.person, membership=member, role=form.cleaned_data["role"]
                )
            else:
                actions.revoke_role(
                    actor=viewer.person, membership=member, role=form.cleaned_data["role"]
                )
        except ActionRefused as exc:
            error = exc.message
    if getattr(request, "htmx", False):
        row = first_or_404(access.roster(viewer, found).filter(code=member.code))
        context = {
            "m": member_card(row, found),
            "committee": found,
            "roles": forms.GRANTABLE_ROLES,
            "error": error,
        }
        context["qualification_kinds"] = QualificationKind
        return render(request, "network/_member_row.html", context)
    if error:
        messages.error(request, error)
    return redirect("network:committee", committee=found.code)


@staff_view
@require_POST
def end_membership(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, membership: uuid.UUID
) -> HttpResponse:
    found, member = access.committee_member(viewer, committee, membership, Can.MANAGE_MEMBERS)
    try:
        actions.end_membership(actor=viewer.person, membership=member)
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s is no longer a member.") % {"name": member.person.display_name},
        )
    return redirect("network:committee", committee=found.code)


@staff_view
@require_POST
def sign_out_member(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, membership: uuid.UUID
) -> HttpResponse:
    """A member's phone was taken: their coordinator ends every session of that account."""
    found, member = access.committee_member(viewer, committee, membership, Can.MANAGE_MEMBERS)
    user = member.person.user
    if user is None:
        messages.error(request, _("This member has no account."))
    else:
        actions.sign_out_everywhere(actor=viewer.person, user=user)
        messages.success(
            request,
            _("%(name)s was signed out everywhere.") % {"name": member.person.display_name},
        )
    return redirect("network:committee", committee=found.code)


@staff_view
@require_POST
def grant_qualification(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, membership: uuid.UUID
) -> HttpResponse:
    found, member = access.committee_member(
        viewer, committee, membership, Can.MANAGE_QUALIFICATIONS
    )
    form = forms.QualificationForm(request.POST)
    if form.is_valid():
        try:
            actions.grant_qualification(
                actor=viewer.person,
                committee=found,
                person=member.person,
                kind=form.cleaned_data["kind"],
                expires_at=form.expires_at(found.timezone),
            )
        except ActionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The qualification was recorded."))
    else:
        messages.error(request, _("Choose a qualification and a valid date."))
    return redirect("network:committee", committee=found.code)


@staff_view
@require_POST
def revoke_qualification(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, qualification: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, Can.MANAGE_QUALIFICATIONS)
    item = access.qualification(viewer, found, qualification)
    actions.revoke_qualification(actor=viewer.person, committee=found, qualification=item)
    messages.success(request, _("The qualification was revoked."))
    return redirect("network:committee", committee=found.code)


@staff_view
@require_POST
def add_zone(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, Can.MANAGE_AREA)
    form = forms.ZoneForm(request.POST)
    if form.is_valid():
        try:
            actions.create_zone(
                actor=viewer.person, committee=found, name=form.cleaned_data["name"]
            )
        except ActionRefused as exc:
            _refused(request, form, exc)
        else:
            return redirect("network:committee", committee=found.code)
    return render(request, "network/committee.html", _home_context(viewer, found, zone_form=form))


@staff_view
@require_POST
def add_area(request: HttpRequest, viewer: Viewer, committee: uuid.UUID) -> HttpResponse:
    found = access.committee(viewer, committee, Can.MANAGE_AREA)
    form = forms.AreaUnitForm(request.POST, zones=list(access.zones(viewer, found)))
    if form.is_valid():
        try:
            actions.add_area_unit(
                actor=viewer.person,
                committee=found,
                kind=form.cleaned_data["kind"],
                value=form.cleaned_data["value"],
                zone=form.chosen_zone(),
            )
        except ActionRefused as exc:
            _refused(request, form, exc)
        else:
            return redirect("network:committee", committee=found.code)
    return render(request, "network/committee.html", _home_context(viewer, found, area_form=form))


@staff_view
@require_POST
def remove_area(
    request: HttpRequest, viewer: Viewer, committee: uuid.UUID, unit: uuid.UUID
) -> HttpResponse:
    found = access.committee(viewer, committee, Can.MANAGE_AREA)
    actions.remove_area_unit(actor=viewer.person, unit=access.area_unit(viewer, found, unit))
    return redirect("network:committee", committee=found.code)


# --- Network administration -------------------------------------------------------------------


def _network_context(viewer: Viewer, network: Any, **extra: Any) -> dict[str, Any]:
    regions = [(str(r.code), r.name) for r in network.regions.order_by("name")]
    context: dict[str, Any] = {
        "network": network,
        "committees": access.network_committees(viewer, network),
        "region_form": forms.RegionForm(),
        "committee_form": forms.CommitteeForm(regions=regions),
    }
    context.update(extra)
    return context


@staff_view
def network_home(request: HttpRequest, viewer: Viewer, network: uuid.UUID) -> HttpResponse:
    found = access.administered_network(viewer, network)
    return render(request, "network/network.html", _network_context(viewer, found))


@staff_view
@require_POST
def add_region(request: HttpRequest, viewer: Viewer, network: uuid.UUID) -> HttpResponse:
    found = access.administered_network(viewer, network)
    form = forms.RegionForm(request.POST)
    if form.is_valid():
        try:
            actions.create_region(
                actor=viewer.person, network=found, name=form.cleaned_data["name"]
            )
        except ActionRefused as exc:
            _refused(request, form, exc)
        else:
            return redirect("network:network", network=found.code)
    return render(
        request, "network/network.html", _network_context(viewer, found, region_form=form)
    )


@staff_view
@require_POST
def add_committee(request: HttpRequest, viewer: Viewer, network: uuid.UUID) -> HttpResponse:
    found = access.administered_network(viewer, network)
    regions = [(str(r.code), r.name) for r in found.regions.order_by("name")]
    form = forms.CommitteeForm(request.POST, regions=regions)
    if form.is_valid():
        region = access.network_region(viewer, found, form.cleaned_data["region"])
        try:
            actions.create_committee(
                actor=viewer.person,
                region=region,
                name=form.cleaned_data["name"],
                tz=form.cleaned_data["timezone"],
            )
        except ActionRefused as exc:
            _refused(request, form, exc)
        else:
            return redirect("network:network", network=found.code)
    return render(
        request, "network/network.html", _network_context(viewer, found, committee_form=form)
    )


@staff_view
@require_POST
def invite_coordinator(
    request: HttpRequest, viewer: Viewer, network: uuid.UUID, committee: uuid.UUID
) -> HttpResponse:
    """A network admin starts a committee off by inviting its first coordinator."""
    found = access.administered_network(viewer, network)
    target = access.network_committee(viewer, found, committee)
    try:
        _invitation, token = actions.invite_first_coordinator(actor=viewer.person, committee=target)
    except ActionRefused as exc:
        messages.error(request, exc.message)
        return redirect("network:network", network=found.code)
    link = request.build_absolute_uri(reverse("network:join_token", args=[token]))
    issued = {"token": token, "link": link, "committee": target}
    return render(request, "network/network.html", _network_context(viewer, found, issued=issued))
