"""A test page or a command that a printer does not take says why in the reader's language: never the
system's own message ("[Errno 111] Connect call failed"), which is English for everyone."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests import factories
from tests.fixtures_snmp import free_tcp_port

pytestmark = pytest.mark.django_db

RAW = ("Errno", "Connect call failed", "Name or service", "resolution", "gaierror")


def sent_test_page(client, device) -> str:
    response = client.post("/printers/actions/", {"action": "test_page", "devices": [device.pk]}, follow=True)
    (message,) = [str(m) for m in response.context["messages"]]
    assert not any(raw in message for raw in RAW), message
    return message


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "CLOSED1 : la page de test n’a pas pu être envoyée : l’imprimante n’accepte pas de travaux "
            "d’impression sur le port {port} (la connexion a été refusée)",
        ),
        (
            "en",
            "CLOSED1: the test page could not be sent: the printer does not accept print jobs on port {port} "
            "(the connection was refused)",
        ),
    ],
)
def test_a_closed_print_port_is_worded_in_the_readers_language(
    manager, manager_client, account, settings, language, expected
):
    User.objects.filter(pk=manager.pk).update(language=language)
    settings.FMP_RAW_PRINT_PORT = free_tcp_port()  # nothing listens there
    device = factories.device(account, serial="CLOSED1", ip_address="127.0.0.1")
    assert sent_test_page(manager_client, device) == expected.format(port=settings.FMP_RAW_PRINT_PORT)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "le nom d’hôte de l’imprimante est inconnu"),
        ("en", "the printer's host name is unknown"),
    ],
)
def test_an_unknown_printer_name_is_worded_in_the_readers_language(
    manager, manager_client, account, language, expected
):
    User.objects.filter(pk=manager.pk).update(language=language)
    device = factories.device(account, serial="NONAME", dns_name="no-such-printer.invalid")
    assert expected in sent_test_page(manager_client, device)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "SILENT : le périphérique a refusé la réinitialisation : le périphérique n’a pas répondu"),
        ("en", "SILENT: the device refused the reset: the device did not answer"),
    ],
)
def test_a_printer_that_does_not_answer_a_reset_is_worded_in_the_readers_language(
    manager, manager_client, account, settings, language, expected
):
    from tests.fixtures_snmp import free_udp_port

    User.objects.filter(pk=manager.pk).update(language=language)
    settings.FMP_SNMP_TIMEOUT, settings.FMP_SNMP_RETRIES = 0.3, 0
    device = factories.device(account, serial="SILENT", ip_address="127.0.0.1", snmp_port=free_udp_port())
    response = manager_client.post(
        "/printers/actions/", {"action": "reset", "devices": [device.pk], "confirmed": "1"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [expected]
