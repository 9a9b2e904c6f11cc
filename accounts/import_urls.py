from django.urls import path

from accounts import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.import_list, name="list"),
    path("<int:pk>/", import_views.import_detail, name="detail"),
    path("<int:pk>/status/", import_views.import_status, name="status"),
    path("<int:pk>/errors.csv", import_views.import_errors_csv, name="errors_csv"),
]
