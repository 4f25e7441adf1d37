from django.urls import path

from printers import views

app_name = "printers"

urlpatterns = [
    path("", views.PrinterListView.as_view(), name="printer_list"),
    path("<int:pk>/", views.PrinterDetailView.as_view(), name="printer_detail"),
    path("actions/", views.PrinterActionView.as_view(), name="printer_action"),
    path("location/", views.PrinterLocationView.as_view(), name="printer_location"),
    path("refresh-status/", views.PrinterRefreshStatusView.as_view(), name="refresh_status"),
]
