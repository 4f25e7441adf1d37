"""Wording in both languages: delays said in words ("within 24 hours", not 1440 minutes),
one French word for e-mail, French that agrees with what it speaks of, severities and
application categories in the reader's language."""

from __future__ import annotations

import gettext
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import translation

from accounts.models import User
from accounts.notifications import background_wait, render
from fmp.l10n import duration_words
from tests import factories
from tests.conftest import make_user
from tickets.models import ApplicationCategory


@pytest.mark.parametrize(
    ("delay", "english", "french"),
    [
        (timedelta(minutes=1440), "24 hours", "24 heures"),
        (timedelta(minutes=15), "15 minutes", "15 minutes"),
        (timedelta(minutes=1), "1 minute", "1 minute"),
        (timedelta(seconds=20), "1 minute", "1 minute"),  # never "0 minutes"
        (timedelta(hours=1), "1 hour", "1 heure"),
        (timedelta(minutes=90), "1 hour and 30 minutes", "1 heure et 30 minutes"),
        (timedelta(days=3), "3 days", "3 jours"),
        (timedelta(days=2, minutes=30), "48 hours and 30 minutes", "48 heures et 30 minutes"),
    ],
)
def test_a_delay_is_said_in_the_largest_whole_unit(delay, english, french):
    with translation.override("en"):
        assert duration_words(delay) == english
    with translation.override("fr"):
        assert duration_words(delay) == french


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "said"),
    [("fr", "dans un délai de 24 heures"), ("en", "within 24 hours")],
)
def test_the_temporary_password_email_says_how_long_it_works_in_words(client, plain_user, language, said):
    User.objects.filter(pk=plain_user.pk).update(language=language)
    assert settings.FMP_TEMP_PASSWORD_MAX_AGE_MINUTES == 1440
    client.post("/accounts/password/forgot/", {"username": plain_user.email})
    background_wait()
    body = mail.outbox[0].body
    assert said in body and "1440" not in body and "1 440" not in body


@pytest.mark.django_db
def test_the_lock_out_page_says_when_to_try_again_in_words(client, plain_user, settings):
    settings.AXES_COOLOFF_TIME = timedelta(hours=1)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": plain_user.email, "password": "Wrong-pass-1"})
    body = client.post("/accounts/login/", {"username": plain_user.email, "password": "x"}).content.decode()
    assert "Réessayez dans 1 heure." in body and "60 minutes" not in body


@pytest.mark.django_db
def test_ticket_emails_use_french_that_agrees_with_a_ticket(account, site):
    printer = factories.device(account, site, serial="813000305")
    ticket = factories.ticket(account, printer, summary="Fin de papier")
    user = make_user("marta@abc-cars.example", account=account)
    context = {"ticket": ticket, "url": "https://fmp.example/tickets/", "condition": "Fin de papier"}
    for template in ("tickets/email/automatic", "tickets/email/created", "tickets/email/state_changed"):
        text = render(user=user, template=template, context=context)["text"]
        assert "Suivez son avancement ici :" in text and "Suivez-la" not in text, template


def portal_catalogue() -> dict:
    """The portal's own French catalogue (locale/fr), without Django's or the packages'."""
    return gettext.translation("django", localedir=settings.LOCALE_PATHS[0], languages=["fr"])._catalog


def test_the_french_catalogue_uses_one_word_for_e_mail_and_typographic_apostrophes():
    wrong = {
        "courrier électronique": "e-mail",
        "adresse électronique": "adresse e-mail",
        "courriel": "e-mail",
        "collecteur de site": "collecteur sur site",
        "Suivez-la": "Suivez son avancement",
        "Connectez-vous avec :": "Connectez-vous avec ce mot de passe :",
        "Source System": "Référence dans le système source",
        "Business Impact": "impact sur l’activité",
    }
    found = []
    for msgid, msgstr in portal_catalogue().items():
        if not msgid:
            continue  # the header
        for bad, good in wrong.items():
            if bad in msgstr:
                found.append(f"{msgstr!r}: {bad!r} → {good!r}")
        if "'" in msgstr:
            found.append(f"{msgstr!r}: ' → ’")
    assert not found, "\n".join(found)


def test_djangos_own_messages_use_the_portals_word_for_e_mail():
    with translation.override("fr"):
        assert translation.gettext("Enter a valid email address.") == "Saisissez une adresse e-mail valide."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "severity", "category"),
    [
        ("fr", "1 - Critique : impact très élevé sur l’activité", "Numérisation et télécopie"),
        ("en", "1 - Critical: Very High Business Impact", "Scanning &amp; Faxing"),
    ],
)
def test_severities_and_application_categories_are_in_the_readers_language(
    plain_user, account, site, language, severity, category
):
    printer = factories.device(account, site, serial="813000305")
    User.objects.filter(pk=plain_user.pk).update(language=language)
    client = Client()
    client.force_login(plain_user)
    body = client.get(f"/tickets/new/details/?device={printer.pk}").content.decode()
    assert severity in body and category in body
    with translation.override(language):
        labels = {str(c) for c in ApplicationCategory.objects.all()}
    assert len(labels) == 5 and all(c.name != c.name_en for c in ApplicationCategory.objects.all())
