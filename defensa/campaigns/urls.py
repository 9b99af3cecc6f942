from django.urls import path

from defensa.campaigns import views

app_name = "campaigns"

C = "staff/c/<uuid:committee>/campaigns"

urlpatterns = [
    path(f"{C}/import/", views.import_data, name="import"),
    path(f"{C}/policies/", views.policies, name="policies"),
    path(f"{C}/policies/<uuid:policy>/remove/", views.remove_policy, name="remove_policy"),
]
