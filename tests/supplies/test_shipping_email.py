"""The help desk ships an order in the admin: the e-mail lists what ships (the specific item
that replaced a generic one in the same save), and the admin says whether an e-mail went."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail

from supplies import services
from supplies.models import CartLine, ConsumableItem, Order, OrderLine
from tests import factories

pytestmark = pytest.mark.django_db
SHIP = {
    "contact_name": "Marta Martinez",
    "contact_phone": "+44 20 7946 0000",
    "street": "1 Main Street",
    "postal_code": "14580",
    "city": "Webster",
    "country": "USA",
}


def _value(value):
    if value is None:
        return ""
    return value.pk if hasattr(value, "pk") else value


def change_form_data(response) -> dict:
    """What the admin's change form sends back unchanged (main form and inlines)."""
    form = response.context["adminform"].form
    data = {name: _value(form[name].value()) for name in form.fields}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management.initial.get(name, 0)
        for sub in formset.forms:
            for name in sub.fields:
                data[sub.add_prefix(name)] = _value(sub[name].value())
    return data


@pytest.fixture
def generic_order(manager, account, site):
    model = factories.device_model("ColorQube 9203")
    printer = factories.device(account, site, serial="813000305", model=model)
    specific = ConsumableItem.objects.create(
        part_number="108R00828", description="ColorQube black ink", type="toner", colour="black"
    )
    specific.compatible_models.add(model)
    generic = ConsumableItem.objects.create(
        part_number="GEN-K", description="Generic black toner", type="toner", colour="black", generic=True
    )
    CartLine.objects.create(user=manager, device=printer, item=generic, quantity=2)
    (order,) = services.orders_place_from_cart(user=manager, ship_to=SHIP)
    return order, specific


def ship_in_admin(client, order, *, shipped_item=None):
    url = f"/admin/supplies/order/{order.pk}/change/"
    data = change_form_data(client.get(url))
    data["status"] = "shipped"
    if shipped_item is not None:
        data["lines-0-shipped_item"] = shipped_item.pk
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_shipping_email_lists_the_item_swapped_in_the_same_save(
    client, helpdesk, manager, generic_order, django_capture_on_commit_callbacks
):
    order, specific = generic_order
    mail.outbox.clear()
    client.force_login(helpdesk)
    with django_capture_on_commit_callbacks(execute=True):
        notes = ship_in_admin(client, order, shipped_item=specific)
    assert OrderLine.objects.get(order=order).shipped_item == specific
    (email,) = mail.outbox
    assert email.to == [manager.email]
    assert "2 × ColorQube black ink (108R00828)" in email.body
    assert "Generic black toner" not in email.body
    assert "Le client est informé du nouveau statut par e-mail." in notes


def test_the_admin_does_not_claim_an_email_for_an_automatic_order(
    client, helpdesk, generic_order, django_capture_on_commit_callbacks
):
    order, _specific = generic_order
    Order.objects.filter(pk=order.pk).update(created_by=None, origin="automatic")
    mail.outbox.clear()
    client.force_login(helpdesk)
    with django_capture_on_commit_callbacks(execute=True):
        notes = ship_in_admin(client, order)
    assert not mail.outbox
    assert "Aucun e-mail n’a été envoyé : personne n’a passé cette commande (commande automatique)." in notes
    assert not any("informé" in note for note in notes)


def test_the_admin_does_not_claim_an_email_the_orderer_does_not_want(
    client, helpdesk, manager, generic_order, django_capture_on_commit_callbacks
):
    order, _specific = generic_order
    manager.email_opt_out = ["order_shipped"]
    manager.save()
    mail.outbox.clear()
    client.force_login(helpdesk)
    with django_capture_on_commit_callbacks(execute=True):
        notes = ship_in_admin(client, order)
    assert not mail.outbox
    assert not any("informé" in note for note in notes)
    assert any("Aucun e-mail" in note for note in notes)


def test_the_catalogue_in_the_admin_names_generic_items_in_the_readers_language(client, helpdesk):
    from supplies.models import ConsumableItem

    ConsumableItem.objects.create(
        part_number="GEN-K1", description="Black toner", type="toner", colour="black", generic=True
    )
    helpdesk.language = "fr"
    helpdesk.save()
    client.force_login(helpdesk)
    body = client.get("/admin/supplies/consumableitem/").content.decode()
    assert "Toner noir" in body and "Black toner" not in body
