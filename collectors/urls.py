from django.urls import path

from collectors import views

app_name = "collector"

urlpatterns = [
    path("enroll/", views.enroll, name="enroll"),
    path("config/", views.config, name="config"),
    path("commands/", views.commands, name="commands"),
    path("commands/<int:command_id>/", views.command_complete, name="command_complete"),
    path("results/", views.results, name="results"),
    path("heartbeat/", views.heartbeat, name="heartbeat"),
]
