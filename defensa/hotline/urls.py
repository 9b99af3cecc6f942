from django.urls import path

from defensa.hotline import line_views, views

app_name = "hotline"

C = "staff/c/<uuid:committee>/reports"
L = "staff/c/<uuid:committee>/line"

urlpatterns = [
    path(f"{C}/", views.inbox, name="inbox"),
    path(f"{C}/<uuid:report>/", views.report_detail, name="report"),
    path(f"{C}/media/<uuid:media>/", views.media_file, name="media"),
    path(f"{L}/", line_views.line_page, name="line"),
    path(f"{L}/numbers/", line_views.add_number, name="add_number"),
    path(f"{L}/numbers/remove/", line_views.remove_number, name="remove_number"),
    path(f"{L}/prompts/", line_views.upload_prompt, name="upload_prompt"),
    path(f"{L}/prompts/<uuid:prompt>/remove/", line_views.remove_prompt, name="remove_prompt"),
    path(f"{L}/prompts/<uuid:prompt>/audio/", line_views.prompt_audio, name="prompt_audio"),
    path(f"{L}/legal/", line_views.set_legal_help, name="set_legal_help"),
    path(f"{L}/trusted/", line_views.issue_trusted, name="issue_trusted"),
    path(f"{L}/trusted/<uuid:token>/revoke/", line_views.revoke_trusted, name="revoke_trusted"),
]
