from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.TicketListView.as_view(), name="ticket_list"),
    path("new/", views.TicketNewView.as_view(), name="ticket_new"),
    path("new/device/", views.TicketNewDeviceView.as_view(), name="ticket_new_device"),
    path("new/details/", views.TicketNewDetailsView.as_view(), name="ticket_new_details"),
    path("new/applications/", views.ApplicationOptionsView.as_view(), name="application_options"),
    path("<str:number>/", views.TicketDetailView.as_view(), name="ticket_detail"),
]
