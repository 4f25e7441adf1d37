"""Benchmark: site collectors against the production web server, everything on 127.0.0.1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fmp_benchc CELERY_BROKER_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/collector.py                      # the three parts, twice each
    ... bench/collector.py --parts cycle --cycles 5             # one part (cycle, ingest, commands)

1. cycle: one real collector (`fmp-collector run --once --state DIR`, pinned to core 1 with
   `taskset -c 1`) polling 1,000 snmpd agents (bench/poll.py's) and uploading to gunicorn
   (3 workers) serving the benchmark database; the agents and gunicorn are pinned to core 0.
   The collector is created with `manage.py collector_add`, enrolled with `fmp-collector
   enroll`, its 1,000 devices assigned with the ORM in bulk. Before each cycle its schedule
   is cleared (every device due). Per cycle: seconds (the whole process, start-up included),
   CPU ms per device (the collector process: wait4's rusage), bytes it sent per device
   (everything written to its TCP connections to the portal: request lines, headers and
   bodies, counted by a relay between the collector and gunicorn). No Celery worker runs:
   the uploads are accepted (validated, kept, queued on Redis db 10) but stored by part 2.
2. ingest: 10 collectors (keys generated here, public keys stored in bulk) with 1,000 devices
   each; 10 threads post their collector's signed batches of 500 observations at once (10,000
   observations made from one real poll of an agent, counters and levels varied per device),
   gunicorn (3 workers) accepts them, real Celery worker processes (`celery -A fmp worker
   --concurrency N`, broker Redis db 10) store them. Observations stored per second, from
   the first post to the last batch's CollectorBatch.stored_at, with 1 and 2 worker processes
   (after one unmeasured warm-up run: the first store of a fleet also creates its supplies).
3. commands: 1,000 collectors (bulk, one device each) each asking `GET /collector/v1/commands/`
   every 10 s, spread evenly, signed with fmp_collector.protocol.sign_headers, by an asyncio
   client in a separate process (one new connection per request: gunicorn's sync workers do
   not keep connections alive), against gunicorn with 3 sync workers as in docker-compose.yml.
   After a 10 s warm-up, over the window (60 s): p50/p99 answer time, web CPU (gunicorn
   master and workers, from /proc, as % of one core); during the window commands are queued
   for some devices (printers.services.device_commands_queue) and their delivery time is
   DeviceCommand.delivered_at - created_at.

Not part of the test suite; nothing here asserts a time. Each part uses its own account in the
benchmark database; keep that database apart from the tests'.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import ROOT, Gunicorn, production_env
from poll import AGENT_SERIAL, FIRST_PORT, HZ, cpu_seconds, raise_fd_limit, start_agents

BIN = Path(sys.executable).parent
BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/10")
PERIOD = 10.0  # seconds between two asks of one simulated collector (part 3)


def median(values):
    return statistics.median(values) if values else float("nan")


def percentile(values, q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def pids_named(name: str) -> list[int]:
    """The processes whose command is ``name`` (e.g. the PostgreSQL server's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
    return found


def postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL server so far: its live processes (listed anew at each
    reading, so connections opened meanwhile count) plus what its exited processes used (the
    postmaster's children times: a backend that ended meanwhile still counts). Other users of
    the same server count too: measure on a quiet machine."""
    pids = pids_named("postgres")
    total = cpu_seconds(pids)
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == 1 or Path(f"/proc/{fields[1]}/comm").read_text().strip() != "postgres":
                total += (int(fields[13]) + int(fields[14])) / HZ  # the postmaster: reaped children
    return total


def tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(c) for c in children)]


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(BROKER).flushdb()


def web_env() -> dict:
    return production_env(CELERY_BROKER_URL=BROKER)


def account_get(name: str):
    from accounts.models import Account

    account, _ = Account.objects.get_or_create(name=name, parent=None)
    return account


def devices_ensure(
    account, count: int, *, port0: int = FIRST_PORT, serial=lambda n: AGENT_SERIAL
) -> list[int]:
    """``count`` devices of ``account`` on 127.0.0.1 ports ``port0``… (ids in port order)."""
    from printers.models import Device

    have = set(Device.objects.filter(account=account).values_list("snmp_port", flat=True))
    Device.objects.bulk_create(
        [
            Device(account=account, serial_number=serial(n), ip_address="127.0.0.1", snmp_port=port0 + n)
            for n in range(count)
            if port0 + n not in have
        ],
        batch_size=2000,
    )
    return list(
        Device.objects.filter(account=account, snmp_port__gte=port0, snmp_port__lt=port0 + count)
        .order_by("snmp_port")
        .values_list("pk", flat=True)
    )


def collectors_bulk(account, prefix: str, count: int) -> list[tuple[object, object]]:
    """``count`` enrolled collectors of ``account`` with new keys: [(collector, private key)]."""
    from django.utils import timezone

    from collectors.models import Collector
    from fmp_collector import protocol

    Collector.objects.filter(account=account, name__startswith=prefix).delete()
    keys = [protocol.new_key() for _ in range(count)]
    now = timezone.now()
    rows = Collector.objects.bulk_create(
        [
            Collector(
                account=account,
                name=f"{prefix}{n:04d}",
                public_key=protocol.public_key_text(key),
                enrolled_at=now,
                last_seen_at=now,
            )
            for n, key in enumerate(keys)
        ],
        batch_size=1000,
    )
    return list(zip(rows, keys, strict=True))


# --- 1. one collector, 1,000 devices ---------------------------------------------------------


class CountingRelay:
    """A TCP relay on 127.0.0.1 that counts the bytes each way (client → server: what the
    collector sent, request lines, headers and bodies)."""

    def __init__(self, target_port: int):
        self.target_port, self.up, self.down, self.connections = target_port, 0, 0, 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        self.up = self.down = self.connections = 0

    def _accept(self) -> None:
        while True:
            client, _ = self.server.accept()
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(client, upstream, "up"), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, "down"), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, way: str) -> None:
        try:
            while data := source.recv(65536):
                setattr(self, way, getattr(self, way) + len(data))
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def run_measured(command: list[str], env: dict) -> tuple[int, float, float, str]:
    """(exit status, seconds, CPU seconds of the process and its threads, output)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - read after the process ends
    t0 = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - t0
    process.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    return process.returncode, wall, usage.ru_utime + usage.ru_stime, out.read().decode(errors="replace")


def part_cycle(args, workdir: Path) -> list[dict]:
    from collectors.models import Collector, CollectorBatch
    from fmp_collector.store import Store
    from printers.models import Device

    count = args.devices
    account = account_get(f"Collector bench cycle {count}")
    name = f"bench-cycle-{int(time.time())}"
    env = web_env()
    add = subprocess.run(
        [sys.executable, "manage.py", "collector_add", name, "--account", str(account.pk)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    code = add.stdout.strip().splitlines()[-1]
    collector = Collector.objects.get(account=account, name=name)
    ids = devices_ensure(account, count)
    Device.objects.filter(pk__in=ids).update(collector=collector)
    Collector.objects.filter(account=account).exclude(pk=collector.pk).delete()
    agents = start_agents(count, workdir / "agents")
    results = []
    try:
        for agent in agents:
            os.sched_setaffinity(agent.pid, {0})
        with Gunicorn(env, workers=3, cpus="0", static=False) as web:
            relay = CountingRelay(web.port)
            state = workdir / "collector-state"
            collector_env = {
                **os.environ,
                "FMP_COLLECTOR_LOG_LEVEL": "WARNING",
                "FMP_COLLECTOR_HTTP_TIMEOUT": "120",
            }
            subprocess.run(
                [
                    str(BIN / "fmp-collector"),
                    "enroll",
                    f"http://127.0.0.1:{relay.port}",
                    code,
                    "--state",
                    str(state),
                ],
                cwd=ROOT,
                env=collector_env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            agent_pids = [a.pid for a in agents]
            for n in range(args.cycles + 1):  # the first cycle warms PostgreSQL and gunicorn up
                with Store(state) as store:
                    store.forget_runs(set())
                relay.reset()
                batches0 = CollectorBatch.objects.filter(collector=collector).count()
                a0, w0 = cpu_seconds(agent_pids), cpu_seconds(web.pids())
                status, wall, cpu, output = run_measured(
                    [
                        "taskset",
                        "-c",
                        "1",
                        str(BIN / "fmp-collector"),
                        "run",
                        "--once",
                        "--state",
                        str(state),
                    ],
                    collector_env,
                )
                agents_cpu, web_cpu = cpu_seconds(agent_pids) - a0, cpu_seconds(web.pids()) - w0
                rows = CollectorBatch.objects.filter(collector=collector).order_by("pk")[batches0:]
                uploaded = sum(b.observations for b in rows)
                reachable = sum(
                    1
                    for b in rows
                    for item in b.payload.get("observations", [])
                    if item["observation"].get("reachable")
                )
                if status != 0:
                    print(output[-2000:])
                result = {
                    "wall": wall,
                    "cpu_ms": cpu * 1000 / count,
                    "up": relay.up / count,
                    "down": relay.down / count,
                    "connections": relay.connections,
                    "uploaded": uploaded,
                    "reachable": reachable,
                    "status": status,
                    "agents_ms": agents_cpu * 1000 / count,
                    "web_ms": web_cpu * 1000 / count,
                }
                label = "warm-up" if n == 0 else f"cycle {n}"
                print(
                    f"  {label:8}: {wall:5.2f} s, {result['cpu_ms']:.2f} ms CPU/device, "
                    f"{result['up']:,.0f} B sent/device ({result['down']:,.0f} B received), "
                    f"{relay.connections} connections, {uploaded} uploaded ({reachable} answered), exit {status}; "
                    f"agents {result['agents_ms']:.2f}, web {result['web_ms']:.2f} ms CPU/device",
                    flush=True,
                )
                if n:
                    results.append(result)
                CollectorBatch.objects.filter(collector=collector).update(payload={}, status="stored")
            redis_flush()
    finally:
        for agent in agents:
            agent.terminate()
        for agent in agents:
            agent.wait(10)
    return results


# --- 2. ingestion ------------------------------------------------------------------------------


def base_observation(workdir: Path) -> dict:
    """One real poll of one agent, as the collector uploads it."""
    from fmp_snmp.client import SnmpClient
    from fmp_snmp.observation import observation_to_dict
    from fmp_snmp.probe import probe
    from fmp_snmp.types import SnmpTarget

    agents = start_agents(1, workdir / "agent1")
    try:

        async def one():
            async with SnmpClient() as client:
                return await probe(client, SnmpTarget("127.0.0.1", FIRST_PORT), budget=15)

        result = asyncio.run(one())
    finally:
        for agent in agents:
            agent.terminate()
            agent.wait(10)
    if not result.ok:
        raise RuntimeError(f"the agent did not answer: {result.error}")
    return observation_to_dict(result.observation(trigger="collector"))


def varied(base: dict, n: int, run: int, serial: str) -> dict:
    """Device ``n``'s observation at run ``run``: its own serial and uptime, page counters that
    grew by up to 250 pages since the last run, supply levels that fall by 1% every five
    runs (a fifth of the devices each run; replaced after 50 steps): what a fleet sends
    between two polls. ``run`` grows with time, so that counters only go up."""
    obs = json.loads(json.dumps(base))
    rnd = random.Random(n)
    obs["serial"] = serial
    obs["uptime_seconds"] = (obs.get("uptime_seconds") or 0) + run * 300 + n
    obs["counters"] = {
        k: int(v) + rnd.randint(0, 100_000) + run * 150 + random.Random(n * 7919 + run).randint(0, 100)
        for k, v in obs["counters"].items()
    }
    for supply in obs["supplies"]:
        level, cap = supply.get("level"), supply.get("max_capacity")
        if isinstance(level, int) and isinstance(cap, int) and 0 <= level <= cap and cap > 0:
            start = cap - rnd.randint(0, cap // 2)
            supply["level"] = max(1, start - (run + n) // 5 % 50 * max(1, cap // 100))
    obs["duration_ms"] = rnd.randint(20, 200)
    return obs


def worker_start(concurrency: int, log: Path) -> subprocess.Popen:
    env = web_env()
    process = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "fmp",
            "worker",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            f"--hostname=bench{concurrency}-{uuid.uuid4().hex[:6]}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while " ready." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return process


def post_batches(url: str, uid: str, key, bodies: list[bytes]) -> list[tuple[int, float]]:
    import requests

    from fmp_collector import protocol

    session = requests.Session()
    answers = []
    for body in bodies:
        path = f"{protocol.PREFIX}results/"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers.update(protocol.sign_headers(key, uid, "POST", path, body))
        t0 = time.perf_counter()
        response = session.post(f"{url}{path}", data=body, headers=headers, timeout=300)
        answers.append((response.status_code, time.perf_counter() - t0))
        if response.status_code != 202:
            print(f"    batch refused: {response.status_code} {response.text[:300]}")
    return answers


def part_ingest(args, workdir: Path) -> list[dict]:
    from collectors.models import CollectorBatch
    from printers.models import Device

    collectors_n, per_collector = 10, args.ingest // 10
    account = account_get("Collector bench ingest")
    pairs = collectors_bulk(account, "ingest-", collectors_n)
    ids = devices_ensure(account, args.ingest, port0=1, serial=lambda n: f"ING{n:06d}")
    for c, (collector, _key) in enumerate(pairs):
        Device.objects.filter(pk__in=ids[c * per_collector : (c + 1) * per_collector]).update(
            collector=collector
        )
    serials = dict(Device.objects.filter(pk__in=ids).values_list("pk", "serial_number"))
    base = base_observation(workdir)
    print(
        f"  observation from one real poll: {len(json.dumps(base))} bytes of JSON, "
        f"{len(base['supplies'])} supplies, {len(base['counters'])} counters"
    )
    plan = [("warm-up", 2)] + [(f"run {r + 1}", w) for r in range(args.repeat) for w in (1, 2)]
    results = []
    with Gunicorn(web_env(), workers=3, static=False) as web:
        for run, (label, workers) in enumerate(plan):
            redis_flush()
            now = time.time()
            step = (int(now) - 1_764_000_000) // 10  # grows between runs (and benchmark invocations)
            jobs = []
            for c, (collector, key) in enumerate(pairs):
                mine = ids[c * per_collector : (c + 1) * per_collector]
                items = [
                    {
                        "device": pk,
                        "at": now - 1 + i / 1000,
                        "observation": varied(base, pk, step, serials[pk]),
                    }
                    for i, pk in enumerate(mine)
                ]
                bodies = [
                    json.dumps(
                        {"batch": str(uuid.uuid4()), "observations": items[s : s + 500]},
                        separators=(",", ":"),
                    ).encode()
                    for s in range(0, len(items), 500)
                ]
                jobs.append((str(collector.uid), key, bodies))
            size = sum(len(b) for _u, _k, bodies in jobs for b in bodies)
            worker = worker_start(workers, workdir / f"worker-{run}.log")
            try:
                first = CollectorBatch.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                celery = tree(worker.pid)
                pg0, c0, web0 = postgres_cpu(), cpu_seconds(celery), cpu_seconds(web.pids())
                t0 = time.time()
                with ThreadPoolExecutor(collectors_n) as pool:
                    answers = [a for job in pool.map(lambda j: post_batches(web.url, *j), jobs) for a in job]
                posted = time.time() - t0
                batches = CollectorBatch.objects.filter(pk__gt=first, collector__account=account)
                deadline = time.monotonic() + 900
                while batches.filter(status=CollectorBatch.Status.QUEUED).exists():
                    if time.monotonic() > deadline:
                        raise RuntimeError("the batches were not stored within 15 minutes")
                    time.sleep(0.1)
                rows = list(batches.values_list("status", "stored_at", "observations", "error"))
                pg_cpu, celery_cpu = postgres_cpu() - pg0, cpu_seconds(celery) - c0
                web_cpu = cpu_seconds(web.pids()) - web0
            finally:
                worker.terminate()
                worker.wait(30)
            stored = sum(o for s, _at, o, _e in rows if s == CollectorBatch.Status.STORED)
            last = max(at for _s, at, _o, _e in rows)
            seconds = last.timestamp() - t0
            errors = sorted({e for _s, _at, _o, e in rows if e})
            result = {
                "workers": workers,
                "seconds": seconds,
                "rate": stored / seconds,
                "stored": stored,
                "posted": posted,
                "batches": len(rows),
                "accepted": sum(1 for s, _t in answers if s == 202),
                "post_p50": median([t for _s, t in answers]),
                "mb": size / 1e6,
                "worker_ms": celery_cpu * 1000 / max(1, stored),
                "pg_ms": pg_cpu * 1000 / max(1, stored),
                "web_ms": web_cpu * 1000 / max(1, stored),
            }
            print(
                f"  {label:8} {workers} worker process(es): {stored} observations stored in {seconds:.1f} s "
                f"= {result['rate']:,.0f}/s; {result['accepted']}/{len(answers)} batches accepted in {posted:.1f} s "
                f"(median {result['post_p50'] * 1000:.0f} ms per 500), {result['mb']:.1f} MB posted; "
                f"CPU per observation: workers {result['worker_ms']:.2f} ms, PostgreSQL {result['pg_ms']:.2f} ms, "
                f"gunicorn {result['web_ms']:.2f} ms" + (f"; warnings: {errors[:2]}" if errors else ""),
                flush=True,
            )
            if run:
                results.append(result)
    return results


# --- 3. 1,000 collectors asking for commands -------------------------------------------------


def client_main(spec_file: str) -> None:
    """The load generator (a separate process, no Django): each simulated collector asks for
    its commands every PERIOD seconds, its first ask at its place in the spread."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fmp_collector import protocol

    spec = json.loads(Path(spec_file).read_text())
    host, port = "127.0.0.1", spec["port"]
    path = f"{protocol.PREFIX}commands/"
    collectors = [
        (uid, Ed25519PrivateKey.from_private_bytes(bytes.fromhex(k))) for uid, k in spec["collectors"]
    ]
    start, warmup, seconds = spec["start"], spec["warmup"], spec["seconds"]
    samples: list[tuple[float, float, int]] = []  # (sent at, seconds, status)
    received: dict[int, float] = {}

    async def ask(uid, key) -> None:
        sent = time.time()
        t0 = time.perf_counter()
        status = 0
        try:
            headers = protocol.sign_headers(key, uid, "GET", path, b"")
            request = (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n"
                "User-Agent: fmp-bench\r\nConnection: close\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                + "\r\n"
            ).encode()
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            data = await asyncio.wait_for(reader.read(-1), 30)
            writer.close()
            status = int(data.split(b" ", 2)[1])
            if status == 200:
                for command in json.loads(data.split(b"\r\n\r\n", 1)[1])["commands"]:
                    received[command["id"]] = time.time()
        except (OSError, ValueError, IndexError, TimeoutError):
            status = -1
        elapsed = time.perf_counter() - t0
        if sent >= start + warmup:
            samples.append((sent, elapsed, status))

    async def one(n, uid, key) -> None:
        k = 0
        tasks = set()
        while True:
            at = start + n * PERIOD / len(collectors) + k * PERIOD
            if at >= start + warmup + seconds:
                break
            await asyncio.sleep(max(0.0, at - time.time()))
            task = asyncio.create_task(ask(uid, key))  # the next ask does not wait for a slow answer
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            k += 1
        if tasks:
            await asyncio.gather(*tasks)

    async def main() -> None:
        await asyncio.gather(*(one(n, uid, key) for n, (uid, key) in enumerate(collectors)))

    raise_fd_limit()
    cpu0 = time.process_time()
    asyncio.run(main())
    Path(spec["out"]).write_text(
        json.dumps({"samples": samples, "received": received, "cpu": time.process_time() - cpu0})
    )


def part_commands(args, workdir: Path) -> list[dict]:
    from cryptography.hazmat.primitives import serialization

    from printers.models import Device, DeviceCommand
    from printers.services import device_commands_queue

    count = args.collectors
    account = account_get("Collector bench commands")
    pairs = collectors_bulk(account, "cmd-", count)
    ids = devices_ensure(account, count, port0=1, serial=lambda n: f"CMD{n:06d}")
    devices = Device.objects.in_bulk(ids)
    for (collector, _key), pk in zip(pairs, ids, strict=True):
        devices[pk].collector = collector
    Device.objects.bulk_update(list(devices.values()), ["collector"], batch_size=1000)
    raw = serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    collectors = [(str(c.uid), k.private_bytes(*raw).hex()) for c, k in pairs]
    results = []
    with Gunicorn(web_env(), workers=3, static=False) as web:
        for run in range(args.repeat):
            start, warmup, seconds = time.time() + 3, 10.0, float(args.seconds)
            spec = workdir / f"client-{run}.json"
            out = workdir / f"client-{run}-out.json"
            spec.write_text(
                json.dumps(
                    {
                        "port": web.port,
                        "collectors": collectors,
                        "start": start,
                        "warmup": warmup,
                        "seconds": seconds,
                        "out": str(out),
                    }
                )
            )
            client = subprocess.Popen([sys.executable, __file__, "--client", str(spec)], cwd=ROOT)
            time.sleep(max(0.0, start + warmup - time.time()))
            w0, c0, t0 = cpu_seconds(web.pids()), cpu_seconds([client.pid]), time.time()
            # Commands for some devices, queued during the window as the printers page does.
            chosen = random.Random(run).sample(list(devices.values()), args.commands)
            queued = []
            for n, device in enumerate(chosen):
                time.sleep(max(0.0, t0 + (n + 0.5) * (seconds - 10) / len(chosen) - time.time()))
                device_commands_queue(devices=[device], kind=DeviceCommand.Kind.REFRESH, by=None)
                queued.append(device.pk)
            time.sleep(max(0.0, t0 + seconds - time.time()))
            web_cpu, client_cpu, window = (
                cpu_seconds(web.pids()) - w0,
                cpu_seconds([client.pid]) - c0,
                time.time() - t0,
            )
            client.wait(120)
            data = json.loads(out.read_text())
            latencies = [s for _at, s, status in data["samples"] if status == 200]
            bad = sum(1 for _at, _s, status in data["samples"] if status != 200)
            commands = DeviceCommand.objects.filter(
                device_id__in=queued, kind=DeviceCommand.Kind.REFRESH
            ).filter(created_at__gte=_aware(t0 - 1))
            delivery = [
                (c.delivered_at - c.created_at).total_seconds() if c.delivered_at else float("inf")
                for c in commands
            ]
            result = {
                "requests": len(data["samples"]),
                "rate": len(data["samples"]) / seconds,
                "p50": percentile(latencies, 50) * 1000,
                "p99": percentile(latencies, 99) * 1000,
                "max": max(latencies) * 1000 if latencies else float("nan"),
                "bad": bad,
                "web_cpu": 100 * web_cpu / window,
                "client_cpu": 100 * client_cpu / window,
                "commands": len(delivery),
                "delivered": sum(1 for d in delivery if d != float("inf")),
                "delivery_p50": median(delivery),
                "delivery_max": max(delivery) if delivery else float("nan"),
            }
            print(
                f"  run {run + 1}: {result['requests']} requests in {seconds:.0f} s ({result['rate']:.0f}/s), "
                f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, max {result['max']:.0f} ms, {bad} not 200; "
                f"web CPU {result['web_cpu']:.0f}% of a core (load generator {result['client_cpu']:.0f}%); "
                f"{result['delivered']}/{result['commands']} commands delivered, median {result['delivery_p50']:.1f} s, "
                f"max {result['delivery_max']:.1f} s",
                flush=True,
            )
            results.append(result)
            DeviceCommand.objects.filter(device_id__in=ids).delete()
    return results


def _aware(ts: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC)


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--parts", nargs="+", choices=["cycle", "ingest", "commands"], default=["cycle", "ingest", "commands"]
    )
    parser.add_argument("--devices", type=int, default=1000, help="devices of the one collector (part 1)")
    parser.add_argument("--cycles", type=int, default=5, help="measured cycles (part 1)")
    parser.add_argument("--ingest", type=int, default=10000, help="observations from 10 collectors (part 2)")
    parser.add_argument("--collectors", type=int, default=1000, help="simulated collectors (part 3)")
    parser.add_argument("--seconds", type=int, default=60, help="measured window (part 3)")
    parser.add_argument("--commands", type=int, default=20, help="commands queued in the window (part 3)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of parts 2 and 3")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client)
        return
    raise_fd_limit()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL (set DATABASE_URL).")
    call_command("migrate", verbosity=0)
    print(f"{os.cpu_count()} cores; broker {BROKER}")
    workdir = Path(tempfile.mkdtemp(prefix="fmp-bench-collector-"))
    summary = []
    try:
        if "cycle" in args.parts:
            print(f"\n== 1. one collector, {args.devices} devices, pinned to core 1 ==")
            r = part_cycle(args, workdir)
            summary.append(
                f"cycle ({args.devices} devices, median of {len(r)}): {median([x['wall'] for x in r]):.2f} s, "
                f"{median([x['cpu_ms'] for x in r]):.2f} ms CPU/device, {median([x['up'] for x in r]):,.0f} B sent/device"
            )
        if "ingest" in args.parts:
            print(f"\n== 2. ingestion: {args.ingest} observations from 10 collectors ==")
            r = part_ingest(args, workdir)
            for w in (1, 2):
                rates = [x["rate"] for x in r if x["workers"] == w]
                summary.append(
                    f"ingestion, {w} worker process(es): median {median(rates):,.0f} observations/s "
                    f"({', '.join(f'{x:,.0f}' for x in rates)})"
                )
        if "commands" in args.parts:
            print(f"\n== 3. {args.collectors} collectors asking for commands every {PERIOD:.0f} s ==")
            r = part_commands(args, workdir)
            summary.append(
                f"commands ({args.collectors} collectors, median of {len(r)}): p50 {median([x['p50'] for x in r]):.1f} ms, "
                f"p99 {median([x['p99'] for x in r]):.1f} ms, web CPU {median([x['web_cpu'] for x in r]):.0f}% of a core, "
                f"delivery max {median([x['delivery_max'] for x in r]):.1f} s"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n== summary ==")
    for line in summary:
        print("  " + line)


if __name__ == "__main__":
    main()
