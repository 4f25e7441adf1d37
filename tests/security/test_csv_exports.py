"""Every CSV export (fmp/csv.py) opens in a spreadsheet without running a formula: cells
that start with = + - @, also after spaces, a tab or invisible characters, are quoted;
control characters (NUL, CR, LF) never reach the file."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account, Site
from fmp.csv import safe_cell
from meters.models import MeterRead
from printers.models import Supply
from tests import factories

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "=1+1",
    " =1+1",
    "   @SUM(A1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\x00=1+1",
    '\u200b=HYPERLINK("http://evil.example")',
    "\ufeff=1+1",
    "\u2060+1",
    " \t -1+1",
]


# PostgreSQL stores no NUL: the stored texts carry another control character instead.
STORED = [p.replace("\x00", "\x01") for p in PAYLOADS]


def is_formula(cell: str) -> bool:
    head = cell.lstrip()
    return head[:1] in ("=", "@") or (head[:1] in ("+", "-") and len(head) > 1)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell_neutralises(payload):
    cell = safe_cell(payload)
    assert cell.startswith("'"), (payload, cell)
    assert not any(ch in cell for ch in "\x00\x01\r\n\u200b\ufeff\u2060")


def test_safe_cell_keeps_plain_values():
    assert safe_cell("-") == "-" and safe_cell("Toner black") == "Toner black"
    assert safe_cell(-5) == "-5" and safe_cell(None) == "" and safe_cell(True) == "1"


def rows_of(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "\x00" not in content and "\x01" not in content
    return list(csv.reader(io.StringIO(content), delimiter=";"))  # French users: semicolons


def test_every_export_quotes_formulas(user_client, account):
    names = iter(STORED * 3)
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=15)
    for i in range(len(STORED)):
        site = Site.objects.create(account=account, name=next(names) + f" site {i}")
        model = factories.device_model(name=next(names) + f" model {i}")
        device = factories.device(
            account,
            site,
            model=model,
            serial=STORED[i] + f" {i}",
            printer_location=STORED[-1 - i],
            state="ok",
            levels={"black": 50},
            managed_by_snmp=False,
        )
        Supply.objects.filter(device=device).update(description=STORED[i])
        for day, value in ((1, 1000), (20, 2000)):
            read_at = timezone.make_aware(
                timezone.datetime.combine(last_month.replace(day=day), timezone.datetime.min.time())
            )
            MeterRead.objects.create(
                device=device, counter="total", value=value, read_at=read_at, source="manual"
            )
    Account.objects.filter(pk=account.pk).update(name="=cmd() account")
    exports = {
        "printers": "/printers/?export=csv",
        "meter report": "/meters/report/?export=csv",
        "supply report": "/supplies/report/?export=csv",
    }
    for name, url in exports.items():
        rows = rows_of(user_client.get(url))
        assert len(rows) > len(STORED), name  # the header and every device
        cells = [cell for row in rows for cell in row]
        assert [c for c in cells if c.startswith("'")], name  # the payloads are there, quoted
        assert not [c for c in cells if is_formula(c)], (name, [c for c in cells if is_formula(c)])
