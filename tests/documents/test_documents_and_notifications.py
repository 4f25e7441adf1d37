"""Shared documents (audience, protected downloads, upload checks) and the portal's e-mails."""

import io
import socket
import time
import zipfile

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from documents.models import Document
from tests import factories

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.FMP_DOCUMENTS_ROOT = tmp_path / "documents"
    from documents.models import private_storage

    private_storage._setup()  # point the lazy storage at this test's folder


def doc(title, *, accounts=(), all_accounts=False, **fields):
    d = Document.objects.create(
        title=title,
        all_accounts=all_accounts,
        file=SimpleUploadedFile(f"{title}.pdf", PDF),
        original_name=f"{title}.pdf",
        content_type="application/pdf",
        **fields,
    )
    d.accounts.set(accounts)
    return d


def test_list_shows_what_the_account_may_see_newest_first(user_client, account, other_account):
    doc("Price list", all_accounts=True, published_at=timezone.now() - timezone.timedelta(days=3))
    doc("ABC contract", accounts=[account], category="Contracts")
    doc("Other contract", accounts=[other_account])
    doc("Future", all_accounts=True, published_at=timezone.now() + timezone.timedelta(days=1))
    doc("Expired", all_accounts=True, expires_at=timezone.now() - timezone.timedelta(hours=1))
    body = user_client.get("/documents/").content.decode()
    assert body.index("ABC contract") < body.index("Price list")
    for hidden in ["Other contract", "Future", "Expired"]:
        assert hidden not in body
    filtered = user_client.get("/documents/?category=Contracts").content.decode()
    assert "ABC contract" in filtered and "Price list" not in filtered
    assert "Price list" in user_client.get("/documents/?q=price").content.decode()
    assert "ABC contract" in user_client.get("/").content.decode()


def test_many_documents_are_paged_with_links_that_keep_the_filters(user_client, account):
    now = timezone.now()
    for i in range(30):
        doc(
            f"Report {i:02d}",
            accounts=[account],
            category="Reports",
            published_at=now - timezone.timedelta(hours=i),
        )
    first = user_client.get("/documents/?category=Reports").content.decode()
    assert first.count('data-testid="document-row"') == 25
    assert "Report 00" in first and "Report 29" not in first
    assert "?category=Reports&amp;page=2" in first  # the next page keeps the filter
    second = user_client.get("/documents/?category=Reports&page=2").content.decode()
    assert second.count('data-testid="document-row"') == 5 and "Report 29" in second
    # A page that does not exist shows the nearest one instead of an error.
    for bad in ("999", "abc", "-1"):
        response = user_client.get(f"/documents/?category=Reports&page={bad}")
        assert response.status_code == 200 and 'data-testid="document-row"' in response.content.decode()


def test_download_checks_the_audience_every_time(user_client, outsider_client, account):
    d = doc("ABC contract", accounts=[account])
    response = user_client.get(f"/documents/{d.pk}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert (
        "attachment" in response["Content-Disposition"]
        and "ABC contract.pdf" in response["Content-Disposition"]
    )
    assert outsider_client.get(f"/documents/{d.pk}/download/").status_code == 404
    d.accounts.clear()
    assert user_client.get(f"/documents/{d.pk}/download/").status_code == 404


def test_files_are_not_under_a_public_url(account, settings):
    d = doc("Secret", accounts=[account])
    assert not str(settings.FMP_DOCUMENTS_ROOT).startswith(str(settings.STATIC_ROOT))
    assert "/" in d.file.name and "Secret" not in d.file.name  # random stored name
    with pytest.raises(ValueError):
        d.file.url  # noqa: B018 -- no URL exists for these files


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"MZ\x90\x00 not a pdf" + b"\x00" * 20, "pas accepté"),
        ("invoice.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
        ("tool.exe", b"MZ\x90\x00\x03" + b"\x00" * 50, "pas accepté"),
    ],
)
def test_admin_refuses_bad_uploads_with_a_message(client, helpdesk, account, name, content, message):
    client.force_login(helpdesk)
    response = client.post(
        "/admin/documents/document/add/",
        {
            "title": "T",
            "file": SimpleUploadedFile(name, content),
            "all_accounts": "on",
            "published_at_0": "01/11/2026",
            "published_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Document.objects.exists()


def test_admin_accepts_a_real_docx_and_refuses_oversized(client, helpdesk, account, settings):
    client.force_login(helpdesk)
    data = {
        "title": "Guide",
        "all_accounts": "on",
        "published_at_0": "01/11/2026",
        "published_at_1": "10:00:00",
    }
    ok = client.post(
        "/admin/documents/document/add/", {**data, "file": SimpleUploadedFile("guide.docx", docx_bytes())}
    )
    assert ok.status_code == 302
    stored = Document.objects.get()
    assert stored.content_type.endswith("wordprocessingml.document") and stored.size > 0
    settings.FMP_DOCUMENT_MAX_MB = 1
    big = client.post(
        "/admin/documents/document/add/",
        {**data, "file": SimpleUploadedFile("big.pdf", PDF + b"0" * 1_200_000)},
    )
    assert "la limite est de 1" in big.content.decode()


# --- notifications -------------------------------------------------------------------------


def test_each_kind_goes_in_the_recipients_language_with_text_and_html(
    plain_user, account, site, django_capture_on_commit_callbacks
):
    from tickets.models import ServiceType
    from tickets.services import ticket_create

    User.objects.filter(pk=plain_user.pk).update(language="en")
    plain_user.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            account=account,
            requester=plain_user,
            service=ServiceType.objects.get(code="field-service"),
            summary="Jam",
            description="Paper jam in tray 2",
            device=factories.device(account, site),
        )
    message = mail.outbox[-1]
    assert message.subject == f"Service request {ticket.number} received"
    assert "has been received by the help desk" in message.body
    assert message.alternatives[0][1] == "text/html" and ticket.number in message.alternatives[0][0]


def test_preferences_are_honoured(
    user_client, plain_user, account, site, client, django_capture_on_commit_callbacks
):
    user_client.post("/settings/", {"history_scope": "90", "language": "fr", "emails": ["order_placed"]})
    plain_user.refresh_from_db()
    assert "ticket_created" in plain_user.email_opt_out
    from tickets.models import ServiceType
    from tickets.services import ticket_create

    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(
            account=account,
            requester=plain_user,
            service=ServiceType.objects.get(code="field-service"),
            summary="Jam",
            description="Paper jam in tray 2",
            device=factories.device(account, site),
        )
    assert not mail.outbox
    # The temporary password still goes: tests/accounts/test_forgot_password_safety.py
    # (it is sent off the request path, so that test needs committed data).


def test_automatic_ticket_mail_follows_the_device_flag(
    plain_user, manager, account, site, django_capture_on_commit_callbacks
):
    from printers.models import DeviceCondition
    from tickets.services import monitoring_conditions_handle

    quiet = factories.device(account, site, serial="QUIET", notifications_enabled=False)
    loud = factories.device(account, site, serial="LOUD", notifications_enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        for device in (quiet, loud):
            c = DeviceCondition.objects.create(
                device=device, code="jammed", severity="error", raised_at=timezone.now()
            )
            monitoring_conditions_handle([c], [])
    assert len(mail.outbox) == 2  # the two users of the account, for LOUD only
    assert all("LOUD" in m.body for m in mail.outbox)


def test_a_failing_mail_server_never_blocks_the_action(
    user_client, plain_user, account, site, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    printer = factories.device(account, site)
    from tickets.models import ServiceType

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(
            f"/tickets/new/details/?device={printer.pk}",
            {
                "device": printer.pk,
                "service": ServiceType.objects.get(code="field-service").pk,
                "summary": "x",
                "description": "A long enough description.",
            },
        )
    assert response.status_code == 302  # the ticket exists; the e-mail is retried later


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_a_real_smtp_server_receives_the_ticket_confirmation(
    user_client, plain_user, account, site, settings
):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    port = _closed_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        from tickets.models import ServiceType

        printer = factories.device(account, site)
        user_client.post(
            f"/tickets/new/details/?device={printer.pk}",
            {
                "device": printer.pk,
                "service": ServiceType.objects.get(code="field-service").pk,
                "summary": "x",
                "description": "A long enough description.",
            },
        )
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        controller.stop()
    from tickets.models import Ticket

    number = Ticket.objects.get().number
    assert received and received[0][0] == [plain_user.email]
    assert number in received[0][1] and "text/html" in received[0][1]


def test_plain_text_is_not_html_escaped_and_the_html_part_is_escaped_once(
    plain_user, account, site, django_capture_on_commit_callbacks
):
    from tickets.models import ServiceType
    from tickets.services import ticket_create

    User.objects.filter(pk=plain_user.pk).update(language="en", first_name="Seán", last_name="O'Brien")
    plain_user.refresh_from_db()
    typed = "Toner \"<>\" & O'Brien's tray"
    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(
            account=account,
            requester=plain_user,
            service=ServiceType.objects.get(code="field-service"),
            summary=typed,
            description="x",
            device=factories.device(account, site),
        )
    message = mail.outbox[-1]
    assert "Hello Seán O'Brien," in message.body
    assert f"Summary: {typed}" in message.body
    assert "&#x27;" not in message.body and "&quot;" not in message.body and "&gt;" not in message.body
    html = message.alternatives[0][0]
    assert "O&#x27;Brien" in html and "&quot;&lt;&gt;&quot; &amp; O&#x27;Brien&#x27;s" in html
    assert "&amp;#x27;" not in html and "&amp;quot;" not in html and "<>" not in html
    assert '<a href="http://127.0.0.1:8000/tickets/' in html  # addresses are still links
