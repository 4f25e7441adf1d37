"""The help desk edits an existing document in the admin: the page shows the stored file
by its name, linked to the protected download (the private storage has no URL)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from documents.models import Document

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.FMP_DOCUMENTS_ROOT = tmp_path / "documents"
    from documents.models import private_storage

    private_storage._setup()


@pytest.fixture
def document(account):
    d = Document.objects.create(
        title="Price list",
        file=SimpleUploadedFile("price-list.pdf", PDF),
        original_name="price-list.pdf",
        content_type="application/pdf",
        size=len(PDF),
        published_at=timezone.now() + timezone.timedelta(days=7),  # not published yet
    )
    d.accounts.add(account)
    return d


def test_the_change_page_links_the_file_to_the_protected_download(client, helpdesk, document):
    client.force_login(helpdesk)
    response = client.get(f"/admin/documents/document/{document.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    link = re.search(r'<a href="([^"]+)">price-list\.pdf</a>', body)
    assert link and link.group(1) == f"/documents/{document.pk}/download/"
    assert document.file.name not in body  # the random stored name stays private
    download = client.get(link.group(1))  # the help desk checks it before publication
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_saving_without_a_new_file_keeps_the_file(client, helpdesk, document, account):
    client.force_login(helpdesk)
    response = client.post(
        f"/admin/documents/document/{document.pk}/change/",
        {
            "title": "Price list 2027",
            "description": "",
            "category": "Prices",
            "accounts": [account.pk],
            "published_at_0": "01/11/2026",
            "published_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    document.refresh_from_db()
    assert document.title == "Price list 2027" and document.original_name == "price-list.pdf"
    assert document.file.read() == PDF


def test_customers_still_get_only_published_documents(user_client, outsider_client, document):
    assert user_client.get(f"/documents/{document.pk}/download/").status_code == 404
    Document.objects.filter(pk=document.pk).update(published_at=timezone.now())
    assert user_client.get(f"/documents/{document.pk}/download/").status_code == 200
    assert outsider_client.get(f"/documents/{document.pk}/download/").status_code == 404
