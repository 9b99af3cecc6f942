from django.urls import path

from defensa.hotline import views

app_name = "hotline"

C = "staff/c/<uuid:committee>/reports"

urlpatterns = [
    path(f"{C}/", views.inbox, name="inbox"),
    path(f"{C}/<uuid:report>/", views.report_detail, name="report"),
    path(f"{C}/media/<uuid:media>/", views.media_file, name="media"),
]
