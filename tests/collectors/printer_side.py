"""Helpers of the printers side's tests for site collectors: a collector in a given state,
and listeners that prove nothing reached a device's address."""

from __future__ import annotations

import select
import socket
from datetime import timedelta

from django.utils import timezone

from collectors.models import Collector
from tests.fixtures_snmp import free_tcp_port, free_udp_port


def collector(account, name="Main office", *, seen_minutes_ago: float | None = 1, **fields) -> Collector:
    """An enrolled collector of ``account`` that was last in contact that long ago (None: never)."""
    now = timezone.now()
    seen = None if seen_minutes_ago is None else now - timedelta(minutes=seen_minutes_ago)
    return Collector.objects.create(
        account=account,
        name=name,
        public_key="A" * 43 if seen else "",
        enrolled_at=seen,
        last_seen_at=seen,
        **fields,
    )


class UdpListener:
    """A UDP socket where a device "is": an SNMP request sent to the device arrives here."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port = free_udp_port(host)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, self.port))

    def received(self, wait: float = 0.5) -> list[bytes]:
        packets = []
        while select.select([self.sock], [], [], wait)[0]:
            packets.append(self.sock.recv(65535))
            wait = 0.05
        return packets

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class TcpListener:
    """A TCP port where a printer's raw port (9100) "is": a print job would connect here."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None):
        self.host, self.port = host, port or free_tcp_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, self.port))
        self.sock.listen(8)

    def received(self, wait: float = 0.5) -> bytes:
        """Everything sent by the connections made so far (b"" when nobody connected)."""
        data = bytearray()
        while select.select([self.sock], [], [], wait)[0]:
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(5)
                while chunk := conn.recv(65536):
                    data.extend(chunk)
            wait = 0.05
        return bytes(data)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def in_english(*users) -> None:
    """These users read the portal in English (the assertions need no merged catalogue)."""
    from accounts.models import User

    User.objects.filter(pk__in=[u.pk for u in users]).update(language="en")
