"""``fmp-collector enroll``: the credential is made here, the errors are clear one-liners."""

from __future__ import annotations

import json
import socket
import stat

from fmp_collector import __version__, protocol
from fmp_collector.tests.fakeportal import FakePortal


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens


def test_enrollment_writes_the_identity_and_a_private_key_only_the_owner_reads(cli, portal, tmp_path):
    portal.codes["ABCD-1234"] = "ok"
    state = tmp_path / "state"
    out = cli("enroll", portal.url + "/", "ABCD-1234", "--state", state)
    assert out.returncode == 0, out.stderr
    assert "Enrolled as collector Site A" in out.stdout
    identity = json.loads((state / "collector.json").read_text())
    assert identity["portal"] == portal.url
    assert identity["name"] == "Site A" and identity["account"] == "Acme" and identity["site"] == "HQ"
    assert identity["uid"] in portal.keys
    mode = stat.S_IMODE((state / "key.pem").stat().st_mode)
    assert mode == 0o600
    key = protocol.load_private_key((state / "key.pem").read_bytes())
    assert (
        protocol.public_key_text(key) == portal.keys[identity["uid"]]
    )  # the portal has only the public half
    assert portal.enrolled["version"] == __version__ and portal.enrolled["hostname"]
    assert "BEGIN" not in json.dumps(portal.enrolled)

    again = cli("enroll", portal.url, "OTHER", "--state", state)
    assert again.returncode == 1
    assert "already enrolled in" in again.stderr and "--force" in again.stderr

    status = cli("status", "--state", state)
    assert status.returncode == 0, status.stderr
    assert f"portal:       {portal.url}" in status.stdout
    assert "queue depth:  0" in status.stdout and "last contact: never" in status.stdout
    data = json.loads(cli("status", "--state", state, "--json").stdout)
    assert data["collector"]["uid"] == identity["uid"] and data["dropped"] == 0


def test_enrolling_again_with_force_replaces_the_key(cli, portal, tmp_path):
    portal.codes.update({"ONE": "ok", "TWO": "ok"})
    assert cli("enroll", portal.url, "ONE", "--state", tmp_path).returncode == 0
    first = json.loads((tmp_path / "collector.json").read_text())["uid"]
    out = cli("enroll", portal.url, "TWO", "--state", tmp_path, "--force")
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "collector.json").read_text())["uid"] != first


def test_a_refused_code_says_why(cli, portal, tmp_path):
    portal.codes["OLD"] = "this enrollment code has expired"
    portal.codes["USED"] = "ok"
    assert cli("enroll", portal.url, "USED", "--state", tmp_path / "a").returncode == 0
    for code, reason in [
        ("OLD", "this enrollment code has expired"),
        ("USED", "this enrollment code was already used"),
        ("NOPE", "unknown enrollment code"),
    ]:
        out = cli("enroll", portal.url, code, "--state", tmp_path / code)
        assert out.returncode == 1
        assert out.stderr.strip() == f"fmp-collector: enrollment refused: {reason}"
        assert not (tmp_path / code / "collector.json").exists()


def test_an_unreachable_portal_is_said_so(cli, tmp_path):
    out = cli("enroll", f"http://127.0.0.1:{closed_port()}", "CODE", "--state", tmp_path)
    assert out.returncode == 1
    assert out.stderr.startswith("fmp-collector: portal unreachable:")
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "collector.json").exists()


def test_plain_http_is_refused_for_a_portal_that_is_not_loopback(cli, tmp_path):
    for url in ("http://portal.example.com", "http://10.20.30.40:8000/fmp", "http://[2001:db8::1]/"):
        out = cli("enroll", url, "CODE", "--state", tmp_path)
        assert out.returncode == 1
        assert "refusing plain http://" in out.stderr and "https://" in out.stderr
    out = cli("enroll", "ftp://portal.example.com", "CODE", "--state", tmp_path)
    assert out.returncode == 1 and "not a valid portal URL" in out.stderr


def test_loopback_names_may_use_plain_http(cli, portal, tmp_path):
    portal.codes["C"] = "ok"
    out = cli("enroll", f"http://localhost:{portal.port}", "C", "--state", tmp_path)
    assert out.returncode == 0, out.stderr


def test_a_certificate_this_machine_does_not_trust_is_refused(cli, tls_portal, tls, tmp_path):
    tls_portal.codes["C"] = "ok"
    out = cli("enroll", tls_portal.url, "C", "--state", tmp_path)
    assert out.returncode == 1
    assert out.stderr.startswith("fmp-collector: certificate not trusted:")
    assert "--ca-bundle" in out.stderr
    assert tls_portal.keys == {}  # nothing reached the portal's application
    out = cli("enroll", tls_portal.url, "C", "--state", tmp_path, "--ca-bundle", tls["ca"])
    assert out.returncode == 0, out.stderr
    identity = json.loads((tmp_path / "collector.json").read_text())
    assert identity["ca_bundle"] == str(tls["ca"])
    assert identity["uid"] in tls_portal.keys


def test_the_certificate_must_name_the_portal(cli, tls, tmp_path):
    # The certificate names 127.0.0.1 and localhost; this portal answers at 127.0.0.2.
    with FakePortal(tls=tls, host="127.0.0.2") as other:
        other.codes["C"] = "ok"
        out = cli("enroll", other.url, "C", "--state", tmp_path, "--ca-bundle", tls["ca"])
    assert out.returncode == 1
    assert "certificate not trusted" in out.stderr and "127.0.0.2" in out.stderr
    assert other.keys == {}


def test_a_missing_ca_bundle_is_said_so(cli, tmp_path):
    out = cli("enroll", "https://127.0.0.1:1", "C", "--state", tmp_path, "--ca-bundle", tmp_path / "nope.pem")
    assert out.returncode == 1 and "the CA bundle" in out.stderr and "does not exist" in out.stderr


def test_commands_on_a_state_folder_never_enrolled(cli, tmp_path):
    for args in (("run", "--once"), ("status",)):
        out = cli(*args, "--state", tmp_path)
        assert out.returncode == 1
        assert "not enrolled" in out.stderr and "fmp-collector enroll" in out.stderr


def test_a_bad_setting_stops_the_run_with_its_name(cli, portal, tmp_path):
    portal.codes["C"] = "ok"
    assert cli("enroll", portal.url, "C", "--state", tmp_path).returncode == 0
    out = cli("run", "--once", "--state", tmp_path, env={"FMP_COLLECTOR_QUEUE_MAX": "-1"})
    assert out.returncode == 1
    assert "invalid setting: FMP_COLLECTOR_QUEUE_MAX: queue_max must be a positive whole number" in out.stderr
