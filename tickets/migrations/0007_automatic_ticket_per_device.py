"""One open automatic ticket per device: the open automatic tickets of a device (and account)
are merged into one, which gets their open conditions; the others are closed with a note."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OPEN = ["new", "in_progress"]


def _added_text(code) -> dict:
    # The note's text in the site's language and its code (fmp.texts): each reader reads it
    # in their own language (tickets.texts).
    from fmp.texts import Text, text_fields

    return text_fields("text", Text("tickets.automatic.condition_added", condition=code))


def _merged_text(number) -> dict:
    from fmp.texts import Text, text_fields

    return text_fields("text", Text("tickets.ticket.merged_into", number=number))


def merge_open_automatic(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    TicketCondition = apps.get_model("tickets", "TicketCondition")
    DeviceCondition = apps.get_model("printers", "DeviceCondition")
    groups = {}
    for ticket in Ticket.objects.filter(origin="monitoring", state__in=OPEN, device__isnull=False):
        groups.setdefault((ticket.device_id, ticket.account_id), []).append(ticket)
    if not groups:
        return
    conditions = {
        (c.device_id, c.code): c
        for c in DeviceCondition.objects.filter(
            cleared_at__isnull=True, device_id__in={device for device, _ in groups}
        )
    }
    for (device_id, _account), tickets in groups.items():
        # The one the help desk works on, else the oldest.
        tickets.sort(key=lambda t: (not t.helpdesk_touched, t.state != "in_progress", t.occurred_at, t.pk))
        keep, others = tickets[0], tickets[1:]
        linked = set()
        for ticket in tickets:
            condition = conditions.get((device_id, ticket.condition_code))
            if condition is None or condition.pk in linked:
                continue
            TicketCondition.objects.create(ticket=keep, condition=condition)
            linked.add(condition.pk)
            if ticket is not keep:
                TicketEvent.objects.create(
                    ticket=keep, kind="condition_added", public=True, **_added_text(ticket.condition_code)
                )
        for ticket in others:
            TicketEvent.objects.create(
                ticket=ticket,
                kind="state",
                public=True,
                old_state=ticket.state,
                new_state="done",
                **_merged_text(keep.number),
            )
            ticket.state = "done"
            ticket.save(update_fields=["state"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_account_require_otp"),
        ("printers", "0009_device_collector_discoveryrange_collector_and_more"),
        ("tickets", "0006_generated_texts_existing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketCondition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("added_at", models.DateTimeField(auto_now_add=True, verbose_name="added")),
            ],
            options={
                "verbose_name": "condition of the ticket",
                "verbose_name_plural": "conditions of the ticket",
                "ordering": ["added_at", "pk"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="ticket",
            name="ticket_one_open_per_device_condition",
        ),
        migrations.AddField(
            model_name="ticket",
            name="submission_key",
            field=models.UUIDField(blank=True, editable=False, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="ticketevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("state", "State changed"),
                    ("comment", "Comment"),
                    ("condition_added", "Condition added"),
                    ("condition_cleared", "Condition cleared"),
                    ("assigned", "Assigned"),
                ],
                default="comment",
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AddField(
            model_name="ticketcondition",
            name="condition",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="printers.devicecondition",
                verbose_name="condition",
            ),
        ),
        migrations.AddField(
            model_name="ticketcondition",
            name="ticket",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="condition_links",
                to="tickets.ticket",
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="conditions",
            field=models.ManyToManyField(
                blank=True,
                related_name="tickets",
                through="tickets.TicketCondition",
                to="printers.devicecondition",
                verbose_name="device conditions",
            ),
        ),
        migrations.AddConstraint(
            model_name="ticketcondition",
            constraint=models.UniqueConstraint(
                models.F("ticket"), models.F("condition"), name="ticket_condition_once"
            ),
        ),
        migrations.RunPython(merge_open_automatic, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.UniqueConstraint(
                models.F("device"),
                models.F("account"),
                condition=models.Q(("origin", "monitoring"), ("state__in", ["new", "in_progress"])),
                name="ticket_one_open_automatic_per_device",
            ),
        ),
    ]
