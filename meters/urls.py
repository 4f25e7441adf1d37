from django.urls import path

from meters import views

app_name = "meters"

urlpatterns = [
    path("", views.MeterListView.as_view(), name="meter_list"),
    path("<int:pk>/", views.MeterEnterView.as_view(), name="meter_enter"),
    path("report/", views.MeterReportView.as_view(), name="meter_report"),
]
