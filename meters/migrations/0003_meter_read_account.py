"""Every meter read belongs to the account the device had when it was made.

Existing reads are given the account their device has today (the history before this
migration did not record moves)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_email_preferences"),
        ("meters", "0002_meter_read_latest_index"),
        ("printers", "0007_discovery_outcome"),
    ]

    operations = [
        migrations.AddField(
            model_name="meterread",
            name="account",
            field=models.ForeignKey(
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="meter_reads",
                to="accounts.account",
                verbose_name="account",
            ),
        ),
        migrations.RunSQL(
            "UPDATE meters_meterread AS r SET account_id = d.account_id "
            "FROM printers_device AS d WHERE d.id = r.device_id",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="meterread",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="meter_reads",
                to="accounts.account",
                verbose_name="account",
            ),
        ),
    ]
