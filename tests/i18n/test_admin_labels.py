"""The help desk's admin in French: application and model names, column titles, filters and
inlines are translated labels, never Python names ("AXES", "ORDER EVENTS", "device")."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from tests.i18n.labels import in_both_languages, is_translated

pytestmark = pytest.mark.django_db

PORTAL_APPS = ["accounts", "printers", "meters", "supplies", "tickets", "documents", "collectors"]


@pytest.fixture
def helpdesk_client(helpdesk):
    client = Client()
    client.force_login(helpdesk)  # helpdesk's language is French
    return client


@pytest.fixture
def admin_request(helpdesk):
    request = RequestFactory().get("/admin/")
    request.user = helpdesk
    return request


def test_the_admin_index_in_french_names_every_application_and_model_in_french(helpdesk_client):
    response = helpdesk_client.get(reverse("admin:index"))
    assert response.status_code == 200
    body = response.content.decode()
    untranslated = []
    for app in response.context["app_list"]:
        config = apps.get_app_config(app["app_label"])
        if not is_translated(config.verbose_name):
            untranslated.append(app["name"])
        for model in app["models"]:
            if not is_translated(model["model"]._meta.verbose_name_plural):
                untranslated.append(f"{app['name']} · {model['name']}")
    assert not untranslated, untranslated
    # django-axes under a name (its label was shown: "AXES"); the portal's own applications.
    assert "Sécurité des connexions" in body and ">Axes<" not in body
    for name in ("Imprimantes", "Lectures de compteurs", "Consommables", "Documents et liens"):
        assert f">{name}<" in body, name
    # django-otp's raw device lists (untranslatable) are not offered: two-step verification
    # is seen and reset in the users' list.
    assert "TOTP" not in body and "Otp_" not in body


def test_every_changelist_in_french_has_translated_columns_filters_and_inlines(
    helpdesk_client, admin_request
):
    problems = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        url = reverse("admin:%s_%s_changelist" % info)
        with translation.override("fr"):
            response = helpdesk_client.get(url)
            assert response.status_code == 200, url
            changelist = model_admin.get_changelist_instance(admin_request)
            for field, header in zip(changelist.list_display, result_headers(changelist), strict=True):
                if field == "action_checkbox":
                    continue
                label = model._meta.verbose_name if field == "__str__" else header["text"]
                if not is_translated(label):
                    problems.append(f"{url} column {field!r}: {header['text']}")
            for spec in changelist.filter_specs:
                if not is_translated(spec.title):
                    problems.append(f"{url} filter: {spec.title}")
            for inline in model_admin.get_inline_instances(admin_request):
                if not is_translated(inline.verbose_name_plural):
                    problems.append(f"{url} inline: {inline.verbose_name_plural}")
    assert not problems, "\n".join(problems)


def test_the_order_history_inline_and_the_lock_out_status_read_in_french(helpdesk_client, admin_request):
    from axes.models import AccessAttempt

    from supplies.models import Order

    with translation.override("fr"):
        inlines = admin.site._registry[Order].get_inline_instances(admin_request)
        assert "historique de la commande" in [str(i.verbose_name_plural) for i in inlines]
    AccessAttempt.objects.create(
        username="user@abc-cars.example",
        ip_address="127.0.0.1",
        user_agent="test",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        http_accept="*/*",
        failures_since_start=2,
    )
    body = helpdesk_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "3 tentatives restantes" in body and "Attempt Remaining" not in body


def test_every_field_of_the_portals_models_has_a_french_name():
    untranslated = []
    for app_label in PORTAL_APPS:
        for model in apps.get_app_config(app_label).get_models():
            for label in (model._meta.verbose_name, model._meta.verbose_name_plural):
                if not is_translated(label):
                    untranslated.append(f"{model._meta.label}: {label}")
            for field in model._meta.get_fields():
                if (field.auto_created and not field.concrete) or field.name == "id":
                    continue
                if not is_translated(field.verbose_name):
                    untranslated.append(f"{model._meta.label}.{field.name}")
    assert not untranslated, untranslated


def test_choices_are_translated_except_names_that_are_the_same_in_every_language():
    # Language names are written in their own language; SNMP versions are names; "-" is "-".
    same_everywhere = {"Français", "English", "SNMPv1", "SNMPv2c", "SNMPv3", "-"}
    untranslated = []
    for app_label in PORTAL_APPS:
        for model in apps.get_app_config(app_label).get_models():
            for field in model._meta.concrete_fields:
                for _value, label in field.flatchoices or []:
                    if str(label) not in same_everywhere and not is_translated(label):
                        untranslated.append(f"{model._meta.label}.{field.name}: {label}")
    assert not untranslated, untranslated
    severity = apps.get_model("tickets", "Ticket")._meta.get_field("severity")
    english, french = in_both_languages(dict(severity.flatchoices)[1])
    assert english == "1 - Critical: Very High Business Impact"
    assert french == "1 - Critique : impact très élevé sur l’activité"
