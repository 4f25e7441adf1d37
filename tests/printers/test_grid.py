import csv
import io

import pytest

from accounts.models import Site
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(account, site, other_account):
    mono = factories.device_model("WorkCentre 5665", colour=False)
    colour = factories.device_model("ColorQube 9203")
    devices = {
        "error": factories.device(
            account,
            site,
            serial="ERR001",
            model=colour,
            state="error",
            conditions=["jammed"],
            levels={"black": 10, "cyan": 50, "magenta": 60, "yellow": -3},
            total=5000,
            printer_location="111/1/Webster",
            ip_address="192.0.2.10",
        ),
        "warning": factories.device(
            account,
            site,
            serial="WRN001",
            model=mono,
            state="warning",
            conditions=["noPaper", "inputTrayEmpty", "serviceRequested"],
            levels={"black": 80},
            total=288145,
        ),
        "ok": factories.device(
            account, site, serial="OK0001", model=mono, state="ok", levels={"black": 55}, total=100
        ),
        "out": factories.device(
            account, site, serial="OUT001", model=mono, state="ok", under_contract=False, total=7
        ),
        "new": factories.device(account, site, serial="NEW001", model=colour, newly_discovered=True),
    }
    devices["foreign"] = factories.device(other_account, serial="FOREIGN1", state="error", model=colour)
    return devices


def serials(response) -> list[str]:
    table = response.context["table"]
    return [row.record.serial_number for row in table.paginated_rows]


def test_grid_shows_the_users_fleet_only_with_the_account_name(user_client, fleet):
    response = user_client.get("/printers/")
    assert response.status_code == 200
    assert set(serials(response)) == {"ERR001", "WRN001", "OK0001", "OUT001", "NEW001"}
    body = response.content.decode()
    assert "ABC Cars / ABC London Pursuit" in body
    assert "FOREIGN1" not in body


def test_default_order_puts_errors_first(user_client, fleet):
    assert serials(user_client.get("/printers/"))[0] == "ERR001"


def test_incident_summary_and_levels_as_in_the_guide(user_client, fleet):
    body = user_client.get("/printers/").content.decode()
    assert "Fin de papier, Bac d’entrée vide, Intervention requise" in body
    assert "288 145" in body or "288\u202f145" in body or "288\xa0145" in body
    # A mono device shows "-" for cyan/magenta/yellow; an unknown level shows "?".
    assert 'title="10\u202f%"' in body and "?" in body  # "10 %": narrow no-break space


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("contract=under", {"ERR001", "WRN001", "OK0001", "NEW001"}),
        ("contract=out", {"OUT001"}),
        ("contract=", {"ERR001", "WRN001", "OK0001", "OUT001", "NEW001"}),
        ("new=on", {"NEW001"}),
        ("state=error", {"ERR001"}),
        ("state=warning", {"WRN001"}),
        ("state=ok", {"OK0001", "OUT001"}),
        ("state=other", {"NEW001"}),
        ("state=error&state=warning", {"ERR001", "WRN001"}),
        ("q=err0", {"ERR001"}),
        ("q=workcentre", {"WRN001", "OK0001", "OUT001"}),
        ("q=webster", {"ERR001"}),
        ("q=192.0.2.10", {"ERR001"}),
        ("q=FOREIGN", set()),
    ],
)
def test_each_filter(user_client, fleet, query, expected):
    assert set(serials(user_client.get(f"/printers/?{query}"))) == expected


def test_incident_filter_follows_tickets(user_client, fleet, account):
    factories.ticket(account, fleet["error"], state="new")
    factories.ticket(account, fleet["warning"], state="in_progress")
    factories.ticket(account, fleet["ok"], state="done")
    assert set(serials(user_client.get("/printers/?incident=new"))) == {"ERR001"}
    assert set(serials(user_client.get("/printers/?incident=in_progress"))) == {"WRN001"}
    assert set(serials(user_client.get("/printers/?incident=done"))) == {"OK0001"}
    assert set(serials(user_client.get("/printers/?incident=none"))) == {"OUT001", "NEW001"}


def test_an_open_ticket_wins_over_a_closed_one(user_client, fleet, account):
    factories.ticket(
        account,
        fleet["ok"],
        state="in_progress",
        occurred_at=factories.timezone.now() - factories.timezone.timedelta(days=3),
    )
    factories.ticket(account, fleet["ok"], state="done")
    assert set(serials(user_client.get("/printers/?incident=in_progress"))) == {"OK0001"}


def test_invalid_filter_values_are_reported_not_crashing(user_client, fleet):
    response = user_client.get("/printers/?state=melting&contract=maybe")
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("total_pages", "OUT001"),
        ("-total_pages", "WRN001"),
        ("black", "ERR001"),
        ("-black", "WRN001"),
        ("serial_number", "ERR001"),
        ("-serial_number", "WRN001"),
        ("state", "OK0001"),
    ],
)
def test_sorting(user_client, fleet, sort, first):
    assert serials(user_client.get(f"/printers/?sort={sort}"))[0] == first


def test_unknown_sort_column_is_ignored(user_client, fleet):
    assert user_client.get("/printers/?sort=account__users__password").status_code == 200


def test_paging(user_client, account, site):
    model = factories.device_model("WorkCentre 3550", colour=False)
    for i in range(55):
        factories.device(account, site, serial=f"P{i:04d}", model=model, state="ok")
    first = user_client.get("/printers/")
    second = user_client.get("/printers/?page=2")
    assert len(serials(first)) == 50 and len(serials(second)) == 5
    assert not set(serials(first)) & set(serials(second))


def test_pages_follow_the_full_ordering(user_client, account, site):
    """Pages are read key-first: across pages the rows keep exactly the order of a full sort,
    for the default ordering (worst state first) and for a computed column."""
    model = factories.device_model("WorkCentre 6515", colour=False)
    states = ["ok", "warning", "error", "other", None]
    expected_state, expected_black = [], []
    for i in range(57):
        state = states[i % 5]
        black = None if i % 7 == 0 else (i * 37) % 100  # None: the printer says "unknown" (-2)
        factories.device(
            account,
            site,
            serial=f"ORD{i:03d}",
            model=model,
            state=state,
            levels={"black": -2 if black is None else black},
        )
        rank = {"error": 3, "warning": 2, "ok": 0}.get(state or "ok", 1)
        expected_state.append((rank, f"ORD{i:03d}"))
        expected_black.append((black, f"ORD{i:03d}"))

    def both_pages(query: str) -> list[str]:
        first = serials(user_client.get(f"/printers/?{query}"))
        second = serials(user_client.get(f"/printers/?{query}&page=2"))
        assert len(first) == 50 and len(second) == 7
        return first + second

    assert both_pages("") == [serial for _, serial in sorted(expected_state, reverse=True)]
    by_black = sorted(
        (item for item in expected_black if item[0] is not None), key=lambda item: item[0], reverse=True
    )
    got = both_pages("sort=-black")
    assert [s for s in got if s in {serial for _, serial in by_black}] == got[: len(by_black)]
    assert [next(level for level, serial in expected_black if serial == s) for s in got[: len(by_black)]] == [
        level for level, _ in by_black
    ]


def test_several_accounts_show_an_account_column_and_filter(client, user_client, helpdesk, fleet, account):
    """A help-desk agent sees every customer's printers: each row names its account and the
    grid filters by account. A customer of one account sees neither."""
    own = user_client.get("/printers/").content.decode()
    assert "Compte client" not in own and 'name="account"' not in own
    client.force_login(helpdesk)
    body = client.get("/printers/").content.decode()
    assert "Compte client" in body and 'name="account"' in body
    assert "Other Industries" in body and "ABC London Pursuit" in body
    only_other = client.get(f"/printers/?account={fleet['foreign'].account_id}")
    assert serials(only_other) == ["FOREIGN1"]
    # Sites are named with their account, and narrowed to the chosen account.
    Site.objects.create(account=fleet["foreign"].account, name="Lyon plant")
    assert "Other Industries · Lyon plant" in client.get("/printers/").content.decode()
    narrowed = client.get(f"/printers/?account={account.pk}").content.decode()
    assert "Lyon plant" not in narrowed and "ABC London Pursuit · " in narrowed
    by_account = serials(client.get("/printers/?sort=account"))
    assert by_account[-1] == "FOREIGN1"  # "ABC London Pursuit" < "Other Industries"
    csv_text = b"".join(client.get("/printers/?export=csv").streaming_content).decode("utf-8-sig")
    assert {row[-1] for row in csv.reader(io.StringIO(csv_text), delimiter=";")} >= {
        "Other Industries",
        "ABC London Pursuit",
    }
    # A customer cannot choose another account: the filter is not offered, and forcing it
    # in the address changes nothing they see.
    assert (
        "FOREIGN1"
        not in user_client.get(f"/printers/?account={fleet['foreign'].account_id}").content.decode()
    )


def test_an_account_with_sub_accounts_sees_the_column(client, account, fleet):
    from accounts import roles
    from tests.conftest import make_user

    parent_manager = make_user("boss@abc-cars.example", account=account.parent, role=roles.FLEET_MANAGER)
    client.force_login(parent_manager)
    body = client.get("/printers/").content.decode()
    assert "Compte client" in body and "ERR001" in body and "FOREIGN1" not in body


def test_csv_export_follows_the_filters(user_client, fleet):
    response = user_client.get("/printers/?state=error&state=warning&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))  # a French user
    assert rows[0][:4] == ["État", "Incident", "Modèle", "Numéro de série"]
    assert {r[3] for r in rows[1:]} == {"ERR001", "WRN001"}
    err = next(r for r in rows if r[3] == "ERR001")
    assert err[4:8] == ["10", "50", "60", ""]  # -3 "some remaining" is not a number
    wrn = next(r for r in rows if r[3] == "WRN001")
    assert wrn[5:8] == ["-", "-", "-"]


def test_csv_export_neutralises_formulas(user_client, account, site):
    factories.device(account, site, serial='=HYPERLINK("http://x")', state="ok", printer_location="@SUM(A1)")
    content = b"".join(user_client.get("/printers/?export=csv").streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in content and "'@SUM(A1)" in content


def test_outsider_sees_none_of_the_fleet(outsider_client, fleet):
    assert set(serials(outsider_client.get("/printers/"))) == {"FOREIGN1"}


def test_empty_fleet_says_so(user_client):
    assert "Aucune imprimante n’est encore surveillée" in user_client.get("/printers/").content.decode()


def test_data_age_is_visible(user_client, fleet):
    assert "il y a 3 h" in user_client.get("/printers/").content.decode()


def test_grid_query_count_does_not_grow_with_the_fleet(
    user_client, account, site, django_assert_max_num_queries
):
    model = factories.device_model()
    for i in range(60):
        dev = factories.device(
            account, site, serial=f"Q{i:04d}", model=model, state="warning", levels={"black": 5}
        )
        factories.ticket(account, dev)
    with django_assert_max_num_queries(12):
        response = user_client.get("/printers/?state=warning&incident=new&sort=-black")
    assert len(serials(response)) == 50
