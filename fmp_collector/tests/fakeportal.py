"""A small portal for the collector's client-side tests: a real HTTP(S) server in a thread
that speaks the protocol of PROTOCOL.md, checks every signature with ``protocol.verify``
and records what the collector sent. The real portal is tested end to end elsewhere."""

from __future__ import annotations

import datetime
import email.utils
import ipaddress
import json
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fmp_collector import protocol


def make_tls(folder: Path) -> dict[str, Path]:
    """A CA and a server certificate for localhost / 127.0.0.1 signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "FMP test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"ca": folder / "ca.pem", "cert": folder / "server.pem", "key": folder / "server.key"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


class FakePortal:
    """The portal's side of the protocol, in memory. Tests set ``config``, ``commands``,
    ``codes`` and ``results_answers`` (statuses to answer the next uploads with)."""

    def __init__(self, *, tls: dict[str, Path] | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.codes: dict[str, str] = {}  # code -> "ok" or the refusal detail
        self.keys: dict[str, str] = {}  # uid -> public key
        self.revoked: set[str] = set()
        self.nonces: set[tuple[str, str]] = set()
        self.config: dict = {
            "collector": {},
            "intervals": {"poll": 300, "commands": 5, "heartbeat": 60, "discovery": 86400},
            "devices": [],
            "discovery": [],
            "version": "v1",
        }
        self.commands: list[dict] = []
        self.answers: dict[int, dict] = {}
        self.batches: list[dict] = []  # every results body received, in order
        self.stored: dict[str, dict] = {}  # batch id -> body, the first time it came
        self.results_answers: list[int] = []
        self.heartbeats: list[dict] = []
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status)
        self.refusals: list[str] = []  # why a signature was refused
        self.enrolled: dict = {}
        self.lock = threading.Lock()
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send_response(self, code, message=None):
                # Like the real portal: every answer carries the portal's clock in ``Date``.
                self.log_request(code)
                self.send_response_only(code, message)
                self.send_header("Server", self.version_string())
                if portal.send_date:
                    self.send_header("Date", email.utils.formatdate(portal.now(), usegmt=True))

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def _send(self, status: int, data: dict) -> None:
                body = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the collector is gone (killed mid-request)
                    self.close_connection = True
                with portal.lock:
                    portal.requests.append((self.command, self.path, status))

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if not self.path.startswith(protocol.PREFIX):
                    return self._send(404, {"error": "not_found", "detail": self.path})
                path = self.path[len(protocol.PREFIX) :]
                if path == "enroll/" and method == "POST":
                    return self._send(*portal.enroll(json.loads(body)))
                uid = self.headers.get(protocol.HEADER_COLLECTOR, "")
                problem = portal.check(uid, method, self.path, body, self.headers)
                if problem:
                    portal.refusals.append(problem)
                    error = "clock_skew" if problem.startswith("timestamp outside") else "unauthorized"
                    return self._send(401, {"error": error, "detail": problem})
                if path == "results/":
                    portal.arrived.append(json.loads(body)["batch"])
                    portal.hold.wait(30)
                with portal.lock:
                    status, data = portal.answer(method, path, json.loads(body) if body else None)
                    drop = path == "results/" and portal.drop_next_answer
                    portal.drop_next_answer = portal.drop_next_answer and not drop
                if drop:  # stored, but the collector never hears so (killed, or the line cut)
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                return self._send(status, data)

        self.handler = Handler
        self.tls = tls
        self.scheme = "https" if tls else "http"
        self.port = 0
        self.drop_next_answer = False  # store the next batch, then cut the connection
        self.hold = threading.Event()  # cleared: an upload waits here before it is stored
        self.hold.set()
        self.arrived: list[str] = []  # batch ids as they arrive, before the hold
        self.clock_shift = 0.0  # seconds the portal's clock is ahead of this machine's
        self.send_date = True  # a Date header on every answer

    def now(self) -> float:
        return time.time() + self.clock_shift

    def start(self) -> FakePortal:
        """Listen (again, on the same port after a stop), keeping what was received."""
        self.server = ThreadingHTTPServer((self.host, self.port), self.handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls["cert"], self.tls["key"])
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{self.scheme}://{self.host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakePortal:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the protocol -------------------------------------------------------------------------

    def enroll(self, data: dict) -> tuple[int, dict]:
        state = self.codes.get(data.get("code"))
        if state is None:
            return 403, {"error": "code_refused", "detail": "unknown enrollment code"}
        if state != "ok":
            return 403, {"error": "code_refused", "detail": state}
        self.codes[data["code"]] = "this enrollment code was already used"
        uid = str(uuid.uuid4())
        protocol.parse_public_key(data["public_key"])
        self.keys[uid] = data["public_key"]
        self.enrolled = data
        return 201, {"collector": uid, "name": "Site A", "account": "Acme", "site": "HQ"}

    def check(self, uid, method, path, body, headers) -> str:
        if uid not in self.keys or uid in self.revoked:
            return "unknown or revoked collector"
        nonce = headers.get(protocol.HEADER_NONCE, "")
        try:
            protocol.verify(
                self.keys[uid],
                method,
                path,
                body,
                headers.get(protocol.HEADER_TIMESTAMP, ""),
                nonce,
                headers.get(protocol.HEADER_SIGNATURE, ""),
                now=self.now(),
            )
        except protocol.SignatureRefused as exc:
            return str(exc)
        with self.lock:
            if (uid, nonce) in self.nonces:
                return "replayed nonce"
            self.nonces.add((uid, nonce))
        return ""

    def answer(self, method: str, path: str, data) -> tuple[int, dict]:
        if path == "config/":
            return 200, self.config
        if path == "commands/":
            commands, self.commands = self.commands, []
            return 200, {"commands": commands, "config_version": self.config["version"]}
        if path.startswith("commands/") and method == "POST":
            cid = int(path.split("/")[1])
            self.answers[cid] = data
            return 200, {"ok": True}
        if path == "heartbeat/":
            self.heartbeats.append(data)
            return 200, {"ok": True, "config_version": self.config["version"]}
        if path == "results/":
            self.batches.append(data)
            if self.results_answers:
                status = self.results_answers.pop(0)
                if status >= 400:
                    return status, {
                        "error": "invalid" if status < 500 else "server",
                        "detail": "observation 0: bad",
                    }
            if data["batch"] in self.stored:
                return 200, {"batch": data["batch"], "duplicate": True}
            self.stored[data["batch"]] = data
            return 202, {"batch": data["batch"], "accepted": len(data["observations"]), "ignored": []}
        return 404, {"error": "not_found", "detail": path}

    # --- what the tests look at ----------------------------------------------------------------

    def stored_observations(self) -> list[dict]:
        return [o for body in self.stored.values() for o in body["observations"]]

    def stored_traps(self) -> list[dict]:
        return [t for body in self.stored.values() for t in body.get("traps", [])]
