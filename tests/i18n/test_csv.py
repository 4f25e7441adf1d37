"""CSV exports open in a spreadsheet of the user's language: for French users semicolons
and a decimal comma (French Excel and LibreOffice split "1,5" otherwise), for English users
commas; UTF-8 with a byte-order mark always; dates "2026-03-05 14:30" in the time zone."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from fmp.csv import safe_cell
from meters.models import MeterRead
from printers.models import DeviceState, Supply
from tests import factories

pytestmark = pytest.mark.django_db

EXPORTS = {
    "printers": "/printers/?export=csv",
    "meter report": "/meters/report/?export=csv",
    "supply report": "/supplies/report/?export=csv",
}


@pytest.fixture
def fleet(account, site):
    printer = factories.device(
        account, site, serial="813000305", state="ok", levels={"black": 45}, total=288145
    )
    seen = datetime(2026, 3, 5, 13, 30, tzinfo=UTC)  # 14:30 in Paris
    DeviceState.objects.filter(device=printer).update(status_at=seen)
    Supply.objects.filter(device=printer).update(updated_at=seen)
    manual = factories.device(account, site, serial="MANUAL1", managed_by_snmp=False)
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=15)
    for day, value in ((1, 1000), (20, 2500)):
        read_at = timezone.make_aware(datetime.combine(last_month.replace(day=day), datetime.min.time()))
        MeterRead.objects.create(
            device=manual, counter="total", value=value, read_at=read_at, source="manual"
        )
    return printer


def download(user, language: str, url: str) -> bytes:
    User.objects.filter(pk=user.pk).update(language=language)
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(("language", "delimiter"), [("fr", ";"), ("en", ",")])
def test_every_export_uses_the_separator_of_the_users_language_and_keeps_the_bom(
    plain_user, fleet, language, delimiter
):
    for name, url in EXPORTS.items():
        content = download(plain_user, language, url)
        assert content.startswith(b"\xef\xbb\xbf"), name  # UTF-8 byte-order mark
        text = content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        assert len(rows) >= 2 and all(len(row) == len(rows[0]) for row in rows), name
        assert len(rows[0]) > 3, (name, rows[0])  # really split into columns
        other = "," if delimiter == ";" else ";"
        assert len(next(csv.reader(io.StringIO(text), delimiter=other))) == 1, name


def test_the_printers_export_in_french_and_in_english(plain_user, fleet):
    french = list(
        csv.reader(
            io.StringIO(download(plain_user, "fr", EXPORTS["printers"]).decode("utf-8-sig")), delimiter=";"
        )
    )
    english = list(
        csv.reader(io.StringIO(download(plain_user, "en", EXPORTS["printers"]).decode("utf-8-sig")))
    )
    assert french[0][:4] == ["État", "Incident", "Modèle", "Numéro de série"]
    assert english[0][:4] == ["State", "Incident", "Model", "Serial number"]
    for rows in (french, english):
        row = next(r for r in rows if r[3] == "813000305")
        # Numbers stay plain (no digit groups: a spreadsheet reads them as numbers); the
        # date is in the configured time zone, written the way both languages read it.
        assert row[4] == "45" and row[8] == "288145" and row[13] == "2026-03-05 14:30"


def test_every_export_writes_dates_the_same_way(plain_user, fleet):
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
    for name, url in EXPORTS.items():
        text = download(plain_user, "fr", url).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        dates = [cell for row in rows[1:] for cell in row if re.match(r"^\d{4}-\d{2}-\d{2}", cell)]
        assert dates and all(stamp.match(cell) for cell in dates), (name, dates)


def test_a_fraction_uses_the_decimal_separator_of_the_language():
    assert safe_cell(1.5, ",") == "1,5" and safe_cell(Decimal("12.50"), ",") == "12,50"
    assert safe_cell(1.5) == "1.5" and safe_cell(288145, ",") == "288145"
    moment = datetime(2026, 3, 5, 13, 30, tzinfo=UTC)
    assert safe_cell(moment) == "2026-03-05 14:30"  # Europe/Paris
