"""Odd input never gives a 500: hostile query values and path ids on every GET view of the
URLconf, as the help desk, a fleet manager and a plain user, on PostgreSQL and on SQLite
(the demo's database). The walk itself is ``tests/security/hostile_walk.py``."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fmp.ids import MAX_ID, parse_id, parse_ids
from fmp.paging import PAGE_SIZES, page_size
from tests.security import hostile_walk

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_every_url_has_its_parameters_listed():
    missing = [
        name for name, _route, _params in hostile_walk.portal_urls() if name not in hostile_walk.PARAMS
    ]
    assert not missing, f"list the query parameters of {missing} in tests/security/hostile_walk.py"


@pytest.mark.parametrize("role", ["helpdesk", "manager", "user"])
def test_hostile_values_on_every_get_view_never_give_a_500(role, settings, tmp_path):
    from documents.models import private_storage

    settings.FMP_DOCUMENTS_ROOT = tmp_path
    private_storage._setup()
    world = hostile_walk.build_world()
    failures = hostile_walk.walk_as(role, world)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])


def test_the_same_walk_on_sqlite_never_gives_a_500(tmp_path):
    """The demo runs on SQLite, which raises OverflowError on ids beyond 64 bits where
    PostgreSQL matches nothing: the walk runs there too, in a process of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'walk.sqlite3'}",
        FMP_DOCUMENTS_ROOT=str(tmp_path / "documents"),
        FMP_LOG_LEVEL="CRITICAL",
    )
    env.pop("CELERY_BROKER_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.security.hostile_walk"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert "vendor=sqlite" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.returncode == 0, done.stdout[-6000:]


def test_ids_beyond_the_database_range_match_nothing():
    assert parse_id("42") == 42 and parse_id(" 7 ") == 7
    for text in ["", "0", "-1", "abc", "\u00b2", "\u0661", "1e5", "4.2", str(MAX_ID + 1), "9" * 30, None]:
        assert parse_id(text) is None, text
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_ids(["3", "x", "3", "99999999999999999999", "5"]) == [3, 5]
    assert parse_ids(map(str, range(1, 500)), limit=200) == list(range(1, 201))


def test_page_sizes_are_clamped_to_the_offered_ones():
    assert PAGE_SIZES == (25, 50, 100)
    for requested in [None, "", "0", "-1", "-50", "abc", "1e3", "9" * 5000]:
        assert page_size(requested, 50) == 50, requested
    assert page_size("10", 50) == 25
    assert page_size("60", 50) == 50
    assert page_size("100", 50) == 100
    assert page_size("999999999999999999999999", 50) == 100


@pytest.mark.parametrize("per_page", ["-1", "0", "100000", "999999999999999999999999", "abc"])
def test_no_url_puts_the_whole_fleet_on_one_page(manager_client, account, site, per_page):
    from tests import factories

    model = factories.device_model()
    for i in range(120):
        factories.device(account, site, serial=f"PP{i:04d}", model=model, state="ok", managed_by_snmp=False)
    for page in ["/printers/", "/meters/", "/supplies/order/", "/tickets/new/device/"]:
        response = manager_client.get(f"{page}?per_page={per_page}")
        assert response.status_code == 200, page
        shown = set(re.findall(r"PP\d{4}", response.content.decode()))
        assert 0 < len(shown) <= max(PAGE_SIZES), (page, len(shown))


def test_a_nul_character_is_refused_before_any_query(manager_client):
    for url in ["/documents/?q=%00", "/meters/?q=a%00b", "/tickets/%00/", "/supplies/orders/%00/"]:
        assert manager_client.get(url).status_code == 400, url
    assert manager_client.post("/accounts/profile/", {"first_name": "a\x00"}).status_code == 400


def test_report_months_out_of_range_are_form_errors(manager_client, manager):
    from accounts.models import User

    User.objects.filter(pk=manager.pk).update(language="en")
    for query in [
        "month=9999-12",
        "month=0001-01",
        "start=0001-01-01&end=0001-01-02",
        "start=9999-12-30&end=9999-12-31",
    ]:
        response = manager_client.get(f"/meters/report/?{query}")
        assert response.status_code == 200, query
        assert "Enter a " in response.content.decode() and " between " in response.content.decode(), query
        assert manager_client.get(f"/meters/report/?{query}&export=csv").status_code == 200, query


def test_ids_beyond_64_bits_in_paths_are_404(manager_client, account, site):
    from django.urls import reverse

    checked = []
    for name, _route, params in hostile_walk.portal_urls():
        for param in params:
            for value in hostile_walk.PATH_IDS:
                url = reverse(name, kwargs={param: value})
                assert manager_client.get(url).status_code == 404, url
                checked.append(url)
    assert any("/printers/" in url for url in checked) and any("/documents/" in url for url in checked)
