from django.urls import path

from defensa.campaigns import campaign_views, views

app_name = "campaigns"

C = "staff/c/<uuid:committee>/campaigns"
ONE = f"{C}/<uuid:campaign>"

urlpatterns = [
    path(f"{C}/import/", views.import_data, name="import"),
    path(f"{C}/policies/", views.policies, name="policies"),
    path(f"{C}/policies/<uuid:policy>/remove/", views.remove_policy, name="remove_policy"),
    path(f"{C}/", campaign_views.campaigns, name="campaigns"),
    path(f"{C}/new/", campaign_views.new_campaign, name="new_campaign"),
    path(f"{ONE}/", campaign_views.campaign, name="campaign"),
    path(f"{ONE}/edit/", campaign_views.edit_campaign, name="edit_campaign"),
    path(f"{ONE}/targets/", campaign_views.add_target, name="add_target"),
    path(
        f"{ONE}/targets/<uuid:target>/remove/",
        campaign_views.remove_target,
        name="remove_target",
    ),
    path(f"{ONE}/scripts/", campaign_views.set_script, name="set_script"),
    path(f"{ONE}/actions/", campaign_views.log_actions, name="log_actions"),
    path(f"{ONE}/actions/correct/", campaign_views.correct_actions, name="correct_actions"),
    path(f"{ONE}/sheet/", campaign_views.fact_sheet, name="fact_sheet"),
]
