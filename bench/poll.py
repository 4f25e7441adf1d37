"""Benchmark: the SNMP poller against fast agents (net-snmp snmpd, one port per device).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fmp_bench .venv/bin/python bench/poll.py --devices 1000 10000

For each fleet size it reports:
  * the engine alone (collect + normalise, no database) with 1, 10, 100 and 500 devices
    in flight: devices/s and CPU ms per device of the polling process;
  * the full fleet poll (claims, polling, history written to PostgreSQL) with one and two
    worker processes: wall time, devices/s, CPU ms per device, peak memory per worker;
  * beside each, the CPU the agents used, so that the figure is the poller's own.
snmpsim tops out near 200 devices/s, so the agents here are snmpd processes with a static
printer data set (bench/agent/snmpd_printer.conf). Everything listens on 127.0.0.1 only.
Not part of the test suite; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmp.settings")
FIRST_PORT = 40000
# Every agent answers with the serial of bench/agent/snmpd_printer.conf: the devices carry it,
# or the poller would rightly refuse each answer as another printer's.
AGENT_SERIAL = "SN0123456789"
PORTS_PER_AGENT = 2500
HZ = os.sysconf("SC_CLK_TCK")


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def start_agents(count: int, workdir: Path) -> list[subprocess.Popen]:
    snmpd = shutil.which("snmpd") or "/usr/sbin/snmpd"
    conf_body = (ROOT / "bench" / "agent" / "snmpd_printer.conf").read_text()
    agents = []
    for start in range(0, count, PORTS_PER_AGENT):
        ports = range(FIRST_PORT + start, FIRST_PORT + min(count, start + PORTS_PER_AGENT))
        state = workdir / f"agent{start}"
        state.mkdir(parents=True, exist_ok=True)
        conf = state / "snmpd.conf"
        conf.write_text(
            "rocommunity public 127.0.0.1\nagentXSocket none\nmaster no\ndontLogTCPWrappersConnects yes\n"
            + conf_body
        )
        words = [
            ",".join(f"udp:127.0.0.1:{p}" for p in ports[i : i + 1000]) for i in range(0, len(ports), 1000)
        ]
        env = {**os.environ, "SNMP_PERSISTENT_DIR": str(state), "SNMPCONFPATH": str(state), "MIBS": ""}
        agents.append(
            subprocess.Popen(
                [
                    snmpd,
                    "-f",
                    "-C",
                    "-c",
                    str(conf),
                    "-Lf",
                    str(state / "log"),
                    "-I",
                    "-smux,hr_swrun,hr_disk,hr_filesys,hr_storage,hr_proc,hr_network,hr_swinst,hr_print",
                    *words,
                ],
                env=env,
                preexec_fn=raise_fd_limit,
            )
        )
    time.sleep(1 + count / 5000)
    return agents


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / HZ


def engine_only(count: int, in_flight: int) -> tuple[float, float, int]:
    """(seconds, cpu seconds, failures) for polling ``count`` agents with no database."""
    from fmp_snmp.client import SnmpClient
    from fmp_snmp.probe import probe
    from fmp_snmp.types import SnmpTarget

    targets = [SnmpTarget("127.0.0.1", FIRST_PORT + i, timeout=2.0, retries=1) for i in range(count)]

    async def main():
        semaphore = asyncio.Semaphore(in_flight)
        async with SnmpClient() as client:

            async def one(target):
                async with semaphore:
                    return await probe(client, target, budget=15)

            return await asyncio.gather(*(one(t) for t in targets))

    cpu0, t0 = time.process_time(), time.perf_counter()
    results = asyncio.run(main())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    bad = [r for r in results if not r.ok or r.normalised.counters.get("total") != 1234567]
    return wall, cpu, len(bad)


def ensure_devices(count: int) -> list[int]:
    from accounts.models import Account
    from printers.models import Device

    account, _ = Account.objects.get_or_create(name=f"Poll bench {count}", parent=None)
    Device.objects.filter(account=account).exclude(serial_number=AGENT_SERIAL).update(
        serial_number=AGENT_SERIAL
    )
    have = set(Device.objects.filter(account=account).values_list("snmp_port", flat=True))
    Device.objects.bulk_create(
        [
            Device(
                account=account, serial_number=AGENT_SERIAL, ip_address="127.0.0.1", snmp_port=FIRST_PORT + i
            )
            for i in range(count)
            if FIRST_PORT + i not in have
        ],
        batch_size=2000,
    )
    return list(Device.objects.filter(account=account).values_list("pk", flat=True))


def _worker(ids: list[int], token: str, queue) -> None:
    import django

    django.setup()
    from django.db import connection

    from printers.polling import fleet_poll_run

    raise_fd_limit()
    cpu0 = time.process_time()
    run = fleet_poll_run(kind="refresh", device_ids=ids, token=token, respect_backoff=False)
    connection.close()
    queue.put(
        (
            run.devices,
            run.failures,
            time.process_time() - cpu0,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        )
    )


def full_poll(ids: list[int], workers: int) -> dict:
    from django.db import connection

    from printers.models import Device

    Device.objects.filter(pk__in=ids).update(poll_claimed_until=None, poll_claim_token="")
    connection.close()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    processes = [
        ctx.Process(target=_worker, args=(ids, f"bench-{w}-{time.time()}", queue)) for w in range(workers)
    ]
    t0 = time.perf_counter()
    for p in processes:
        p.start()
    results = [queue.get(timeout=900) for _ in processes]
    for p in processes:
        p.join()
    wall = time.perf_counter() - t0
    return {
        "wall": wall,
        "devices": sum(r[0] for r in results),
        "failures": sum(r[1] for r in results),
        "cpu": sum(r[2] for r in results),
        "peak_mb": max(r[3] for r in results) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 10, 100, 500])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args()
    raise_fd_limit()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL (set DATABASE_URL).")
    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="fmp-bench-"))
    agents = start_agents(max(args.devices), workdir)
    agent_pids = [a.pid for a in agents]
    print(
        f"{len(agents)} snmpd agent(s), {max(args.devices)} ports from {FIRST_PORT}; {os.cpu_count()} cores"
    )
    try:
        for count in args.devices:
            print(f"\n== {count} devices ==")
            if not args.skip_engine:
                print("engine only (collect + normalise, no database), one process:")
                for in_flight in args.in_flight:
                    if in_flight == 1 and count > 1000:
                        print("  in flight    1: skipped above 1,000 devices (sequential)")
                        continue
                    a0 = cpu_seconds(agent_pids)
                    wall, cpu, bad = engine_only(count, in_flight)
                    agents_cpu = cpu_seconds(agent_pids) - a0
                    print(
                        f"  in flight {in_flight:4d}: {count / wall:7.0f} devices/s, {cpu * 1000 / count:5.2f} ms CPU/device, "
                        f"{bad} failed; agents {agents_cpu * 1000 / count:5.2f} ms CPU/device"
                    )
            ids = ensure_devices(count)
            for workers in args.workers:
                a0 = cpu_seconds(agent_pids)
                result = full_poll(ids, workers)
                agents_cpu = cpu_seconds(agent_pids) - a0
                print(
                    f"full fleet poll, {workers} worker process(es): {result['wall']:6.1f} s for {result['devices']} devices "
                    f"({result['devices'] / result['wall']:5.0f}/s), {result['cpu'] * 1000 / max(1, result['devices']):5.2f} ms CPU/device, "
                    f"peak {result['peak_mb']:.0f} MB/worker, {result['failures']} failures; agents {agents_cpu:.1f} s CPU"
                )
    finally:
        for a in agents:
            a.terminate()
        for a in agents:
            a.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
