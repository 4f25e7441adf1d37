"""Migration 0007: a device's open automatic tickets become one, which keeps their conditions."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("tickets", "0006_generated_texts_existing")]
AFTER = [("tickets", "0007_automatic_ticket_per_device")]

pytestmark = pytest.mark.django_db(transaction=True)


def test_open_automatic_tickets_of_a_device_are_merged_into_one():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    others = [node for node in leaves if node[0] != "tickets"]
    try:
        _merged_into_one(executor, others)
    finally:  # the schema of the rest of the suite: every migration applied again
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)


def _merged_into_one(executor, others):
    executor.migrate(BEFORE)
    old = executor.loader.project_state(others + BEFORE).apps
    Account = old.get_model("accounts", "Account")
    Device = old.get_model("printers", "Device")
    DeviceCondition = old.get_model("printers", "DeviceCondition")
    Ticket = old.get_model("tickets", "Ticket")
    account = Account.objects.create(name="ABC Cars")
    noisy = Device.objects.create(account=account, serial_number="NOISY")
    calm = Device.objects.create(account=account, serial_number="CALM")
    now = timezone.now()
    for code in ("jammed", "noPaper", "doorOpen"):
        DeviceCondition.objects.create(device=noisy, code=code, severity="error", raised_at=now)
    tickets = {}
    for n, code in enumerate(("noPaper", "jammed", "doorOpen")):
        tickets[code] = Ticket.objects.create(
            number=f"AA00000{n}",
            account=account,
            device=noisy,
            summary=code,
            occurred_at=now - timezone.timedelta(hours=3 - n),
            origin="monitoring",
            condition_code=code,
            helpdesk_touched=code == "jammed",
            state="in_progress" if code == "jammed" else "new",
        )
    alone = Ticket.objects.create(
        number="AB000001", account=account, device=calm, summary="x", occurred_at=now, origin="monitoring"
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(others + AFTER).apps
    Ticket = new.get_model("tickets", "Ticket")
    TicketEvent = new.get_model("tickets", "TicketEvent")
    TicketCondition = new.get_model("tickets", "TicketCondition")
    # The one the help desk works on is kept, with every open condition of the device.
    kept = Ticket.objects.get(device_id=noisy.pk, state__in=["new", "in_progress"])
    assert kept.pk == tickets["jammed"].pk
    codes = set(TicketCondition.objects.filter(ticket=kept).values_list("condition__code", flat=True))
    assert codes == {"jammed", "noPaper", "doorOpen"}
    assert TicketEvent.objects.filter(ticket=kept, kind="condition_added").count() == 2
    for code in ("noPaper", "doorOpen"):
        merged = Ticket.objects.get(pk=tickets[code].pk)
        assert merged.state == "done"
        note = TicketEvent.objects.get(ticket=merged, kind="state")
        assert (
            note.text
            == f"Fusionné dans le ticket {kept.number} : un seul ticket automatique par périphérique."
        )
    assert Ticket.objects.get(pk=alone.pk).state == "new"
