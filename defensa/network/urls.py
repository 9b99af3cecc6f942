from django.urls import path

from defensa.network import views

app_name = "network"

urlpatterns = [
    path("staff/", views.dashboard, name="dashboard"),
    path("staff/second-factor/", views.mfa_required, name="mfa_required"),
    path("staff/me/", views.profile, name="profile"),
    path("staff/me/sign-out/", views.sign_out_other_sessions, name="sign_out_other_sessions"),
    path("staff/c/<uuid:committee>/", views.committee_home, name="committee"),
    path(
        "staff/c/<uuid:committee>/invitations/",
        views.issue_invitation,
        name="issue_invitation",
    ),
    path(
        "staff/c/<uuid:committee>/invitations/<uuid:invitation>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path(
        "staff/c/<uuid:committee>/members/<uuid:membership>/roles/",
        views.change_role,
        name="change_role",
    ),
    path(
        "staff/c/<uuid:committee>/members/<uuid:membership>/end/",
        views.end_membership,
        name="end_membership",
    ),
    path(
        "staff/c/<uuid:committee>/members/<uuid:membership>/sign-out/",
        views.sign_out_member,
        name="sign_out_member",
    ),
    path(
        "staff/c/<uuid:committee>/members/<uuid:membership>/qualifications/",
        views.grant_qualification,
        name="grant_qualification",
    ),
    path(
        "staff/c/<uuid:committee>/qualifications/<uuid:qualification>/revoke/",
        views.revoke_qualification,
        name="revoke_qualification",
    ),
    path("staff/c/<uuid:committee>/zones/", views.add_zone, name="add_zone"),
    path("staff/c/<uuid:committee>/area/", views.add_area, name="add_area"),
    path(
        "staff/c/<uuid:committee>/area/<uuid:unit>/remove/",
        views.remove_area,
        name="remove_area",
    ),
    path("staff/n/<uuid:network>/", views.network_home, name="network"),
    path("staff/n/<uuid:network>/regions/", views.add_region, name="add_region"),
    path("staff/n/<uuid:network>/committees/", views.add_committee, name="add_committee"),
    path(
        "staff/n/<uuid:network>/committees/<uuid:committee>/invite/",
        views.invite_coordinator,
        name="invite_coordinator",
    ),
    path("join/", views.join, name="join"),
    path("join/<str:token>/", views.join, name="join_token"),
]
