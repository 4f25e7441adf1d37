from django.urls import path, re_path

from collectors import views

app_name = "collector"

urlpatterns = [
    path("enroll/", views.enroll, name="enroll"),
    path("config/", views.config, name="config"),
    path("commands/", views.commands, name="commands"),
    path("commands/<int:command_id>/", views.command_complete, name="command_complete"),
    path("results/", views.results, name="results"),
    path("heartbeat/", views.heartbeat, name="heartbeat"),
    # Anything else under the prefix: a JSON 404 (never a page or a redirect to add a slash).
    re_path(r"^.*$", views.not_found),
]
