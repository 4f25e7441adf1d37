from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("", views.DocumentListView.as_view(), name="document_list"),
    path("<int:pk>/download/", views.DocumentDownloadView.as_view(), name="document_download"),
]
