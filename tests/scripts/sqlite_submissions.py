"""Two users submitting at the same moment on the SQLite demo database (run by
tests/test_sqlite_demo.py in a process of its own: DATABASE_URL names a SQLite file).

Prints one JSON line: how many submissions were stored and the errors of the others."""

import json
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmp.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import Account, User  # noqa: E402
from meters.services import meter_read_submit  # noqa: E402
from printers.models import Device  # noqa: E402

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10

call_command("migrate", verbosity=0)
account = Account.objects.create(name="Race")
user = User.objects.create_user(username="race@example.com", email="race@example.com", account=account)
devices = [Device.objects.create(account=account, serial_number=f"RACE-{i}") for i in range(2)]


def submit(i, round_, barrier, outcome):
    try:
        barrier.wait(5)
        with transaction.atomic():
            meter_read_submit(device=devices[i], values={"total": 1000 + round_}, by=user, description="race")
        outcome[i] = "ok"
    except Exception as exc:  # reported to the test
        outcome[i] = f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


stored, errors = 0, []
for round_ in range(ROUNDS):
    barrier = threading.Barrier(2)
    outcome: list = [None, None]
    threads = [threading.Thread(target=submit, args=(i, round_, barrier, outcome)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stored += outcome.count("ok")
    errors += [o for o in outcome if o != "ok"]

with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    mode = cursor.fetchone()[0]
print(json.dumps({"stored": stored, "errors": errors[:5], "journal_mode": mode}))
