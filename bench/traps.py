"""Benchmark: a burst of SNMP traps against `manage.py trap_receiver`, everything on 127.0.0.1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fmp_benchc CELERY_BROKER_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/traps.py [--traps 10000] [--senders 1000] [--rate 10000] [--repeat 2]

1,000 devices of a benchmark account at 127.0.100.1, 127.0.100.2, ... (the whole of 127/8 is
the loopback: each simulated printer sends from its own address). One receiver process
(`manage.py trap_receiver`, production settings, polls queued on Redis db 10 and not run:
the confirming polls are not part of this figure). A sender process sends 10,000 Printer-MIB
alert traps (v2c printerV2Alert, a jam: each raises the device's condition), 10 per sender,
spread over the senders, paced at --rate traps a second; each trap carries the time it was
sent. Measured: traps stored per second (first send to the last DeviceEvent stored), and the
delay from send to the stored event of each trap (p50/p99), traps lost (the receiver's
counters: malformed, over their sender's rate, dropped by the kernel: RcvbufErrors).
Before each run the devices' events and conditions are deleted. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, production_env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmp.settings")
sys.path.insert(0, str(ROOT))
BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/10")


def address(n: int) -> str:
    return f"127.0.{100 + n // 250}.{1 + n % 250}"


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _int(value: int, tag: int = 0x02) -> bytes:
    return _tlv(tag, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def _oid(text: str) -> bytes:
    parts = [int(p) for p in text.split(".")]
    body = bytearray([parts[0] * 40 + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, bytes(body))


def jam_trap(sent_at: float, request_id: int) -> bytes:
    """A v2c printerV2Alert: a critical jam (group media path 13, code 8), with its send time."""
    alert = "1.3.6.1.2.1.43.18.1.1"
    varbinds = [
        (_oid("1.3.6.1.2.1.1.3.0"), _int(12345, 0x43)),
        (_oid("1.3.6.1.6.3.1.1.4.1.0"), _oid("1.3.6.1.2.1.43.18.2.0.1")),
        (_oid(f"{alert}.2.1.7"), _int(3)),
        (_oid(f"{alert}.4.1.7"), _int(13)),
        (_oid(f"{alert}.5.1.7"), _int(1)),
        (_oid(f"{alert}.7.1.7"), _int(8)),
        (_oid(f"{alert}.8.1.7"), _tlv(0x04, f"sent={sent_at:.6f}".encode())),
    ]
    vbl = _tlv(0x30, b"".join(_tlv(0x30, name + value) for name, value in varbinds))
    pdu = _tlv(0xA7, _int(request_id) + _int(0) + _int(0) + vbl)
    return _tlv(0x30, _int(1) + _tlv(0x04, b"public") + pdu)


def rcvbuf_errors() -> int:
    lines = Path("/proc/net/snmp").read_text().splitlines()
    udp = [line.split() for line in lines if line.startswith("Udp:")]
    return int(udp[1][udp[0].index("RcvbufErrors")])


def sender(port: int, traps: int, senders: int, rate: float) -> None:
    """Send ``traps`` traps round-robin from ``senders`` addresses, paced at ``rate`` a second."""
    sockets = []
    for n in range(senders):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((address(n), 0))
        sockets.append(s)
    start = time.perf_counter()
    for i in range(traps):
        due = start + i / rate
        while (now := time.perf_counter()) < due:
            if due - now > 0.002:
                time.sleep(due - now - 0.001)
        sockets[i % senders].sendto(jam_trap(time.time(), i + 1), ("127.0.0.1", port))
    for s in sockets:
        s.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--traps", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=10_000.0, help="traps a second the sender sends")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from accounts.models import Account
    from printers.models import Device, DeviceCondition, DeviceEvent

    if os.geteuid() == 0:  # PERF.md: a 4 MiB receive buffer needs rmem_max to match
        subprocess.run(["sysctl", "-qw", "net.core.rmem_max=16777216"], check=False)
    account, _ = Account.objects.get_or_create(name="Trap bench", parent=None)
    have = set(Device.objects.filter(account=account).values_list("ip_address", flat=True))
    Device.objects.bulk_create(
        [
            Device(account=account, serial_number=f"TRP{n:05d}", ip_address=address(n))
            for n in range(args.senders)
            if address(n) not in have
        ]
    )
    ids = list(Device.objects.filter(account=account).values_list("pk", flat=True))
    print(
        f"{os.cpu_count()} cores; {len(ids)} devices; {args.traps} traps from {args.senders} senders at {args.rate:,.0f}/s"
    )
    sender_script = Path(__file__).resolve()
    results = []
    for run in range(args.repeat):
        DeviceEvent.objects.filter(device_id__in=ids).delete()
        DeviceCondition.objects.filter(device_id__in=ids).delete()
        port = _free_udp_port()
        env = production_env(CELERY_BROKER_URL=BROKER, FMP_TRAP_POLL_SECONDS="3600", FMP_TRAP_BURST="1000")
        receiver = subprocess.Popen(
            [sys.executable, "manage.py", "trap_receiver", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = receiver.stdout.readline()
            if "Receiving traps" not in line:
                raise RuntimeError(f"the receiver did not start: {line} {receiver.stderr.read()}")
            drops0 = rcvbuf_errors()
            t0 = time.time()
            subprocess.run(
                [
                    sys.executable,
                    str(sender_script),
                    "--send",
                    str(port),
                    str(args.traps),
                    str(args.senders),
                    str(args.rate),
                ],
                check=True,
            )
            sent = time.time() - t0
            deadline = time.monotonic() + 120
            stored = 0
            while time.monotonic() < deadline:
                stored = DeviceEvent.objects.filter(device_id__in=ids, key="printers.device.trap").count()
                if stored >= args.traps:
                    break
                time.sleep(0.2)
            rows = list(
                DeviceEvent.objects.filter(device_id__in=ids, key="printers.device.trap").values_list(
                    "at", "data"
                )
            )
            conditions = DeviceCondition.objects.filter(device_id__in=ids, code="jammed").count()
            last = max(at for at, _d in rows).timestamp() if rows else t0
            delays = sorted(at.timestamp() - float(d["alert"]["description"][5:]) for at, d in rows)
            drops = rcvbuf_errors() - drops0
        finally:
            receiver.send_signal(signal.SIGTERM)
            receiver.communicate(timeout=60)
        result = {
            "stored": len(rows),
            "per_second": len(rows) / max(1e-9, last - t0),
            "p50": statistics.median(delays) if delays else float("nan"),
            "p99": delays[min(len(delays) - 1, round(0.99 * (len(delays) - 1)))] if delays else float("nan"),
            "conditions": conditions,
            "kernel_drops": drops,
            "sent_s": sent,
        }
        results.append(result)
        print(
            f"  run {run + 1}: {result['stored']}/{args.traps} traps stored in {last - t0:.2f} s = "
            f"{result['per_second']:,.0f}/s (sent in {sent:.2f} s); delay send → stored p50 "
            f"{result['p50'] * 1000:.0f} ms, p99 {result['p99'] * 1000:.0f} ms; {conditions} devices with the jam "
            f"raised; kernel receive-buffer drops {drops}"
        )
        connection.close()
    print("\n== summary ==")
    print(
        f"  traps stored per second: median {statistics.median(r['per_second'] for r in results):,.0f}; "
        f"p99 delay median {statistics.median(r['p99'] for r in results) * 1000:.0f} ms"
    )


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--send":
        sender(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        main()
