"""A simulated printer fleet: snmpsim recordings generated for varied, realistic devices.

``SPECIAL_DEVICES`` covers what real fleets throw at a poller (several vendors, colour and
mono, every error bit, levels -2/-3, hex and UTF-8 descriptions, no supplies, a counter that
went backwards, hostile text); ``recording_for_device`` makes one for a demo device from
its database record, so that polling the demo fleet gives consistent, live values.
Each recording is served under its community name (snmpsim's convention).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from fmp_snmp.normalise import ERROR_BITS

ENTERPRISE = {
    "Xerox": 253,
    "HP": 11,
    "Canon": 1602,
    "Kyocera": 1347,
    "Brother": 2435,
    "Lexmark": 641,
    "Ricoh": 367,
}
SUPPLY_TYPE_CODES = {
    "toner": 3,
    "waste": 4,
    "ink": 5,
    "drum": 9,
    "developer": 10,
    "fuser": 15,
    "transfer": 20,
    "kit": 1,
    "staples": 32,
    "other": 1,
}
RECEPTACLE = 3  # prtMarkerSuppliesClass: receptacleThatIsFilled
CONSUMED = 1  # supplyThatIsConsumed


@dataclass
class SimSupply:
    description: str | bytes
    type: str = "toner"
    colour: str = ""
    level: int = 50
    max_capacity: int = 100


@dataclass
class SimDevice:
    community: str
    vendor: str = "Xerox"
    model: str = "ColorQube 9203"
    serial: str = "SIM0001"
    sys_name: str | bytes = "SIM-PRINTER"
    location: str | bytes = "Building 111 / Floor 1"
    device_status: int = 2
    printer_status: int = 3
    errors: tuple[str, ...] = ()
    supplies: list[SimSupply] = field(default_factory=list)
    total: int | None = 100000
    black: int | None = None
    colour_pages: int | None = None
    # prtAlertTable rows: (severity, description[, group, code, group index, training level]);
    # group and code default to other (1), the group index to 1, training to trained (4).
    alerts: list[tuple] = field(default_factory=list)
    trays: list[tuple[str, int, int]] = field(default_factory=list)  # (name, current, max)
    uptime_ticks: int = 612345600
    writable: bool = True  # sysName, sysLocation and prtGeneralReset accept SET


def _text(value: str | bytes) -> tuple[str, str]:
    """(type tag, value) for an OCTET STRING: plain when it is safe printable ASCII, else hex."""
    raw = value if isinstance(value, bytes) else value.encode("utf-8")
    if raw and all(32 <= b < 127 for b in raw) and "|" not in raw.decode() and not raw.endswith(b" "):
        return "4", raw.decode()
    return "4x", raw.hex()


def _error_octets(errors: tuple[str, ...]) -> str:
    bits = 0
    for name in errors:
        bits |= 1 << (15 - ERROR_BITS.index(name))
    return (bits.to_bytes(2, "big") if bits & 0xFF else bits.to_bytes(2, "big")[:1]).hex()


def recording(dev: SimDevice) -> str:
    """The snmprec text of one simulated device."""
    rows: list[tuple[tuple[int, ...], str, str]] = []

    def add(oid: str, tag: str, value) -> None:
        rows.append((tuple(int(p) for p in oid.split(".")), tag, str(value)))

    def add_text(oid: str, value: str | bytes) -> None:
        tag, text = _text(value)
        rows.append((tuple(int(p) for p in oid.split(".")), tag, text))

    enterprise = ENTERPRISE.get(dev.vendor, 99999)
    add_text("1.3.6.1.2.1.1.1.0", f"{dev.vendor} {dev.model}; firmware 1.2.3")
    add("1.3.6.1.2.1.1.2.0", "6", f"1.3.6.1.4.1.{enterprise}.1.1")
    add("1.3.6.1.2.1.1.3.0", "67", dev.uptime_ticks)
    add_text("1.3.6.1.2.1.1.4.0", "helpdesk@fmp.example")
    writable = dev.writable

    def add_settable(oid: str, value: str | bytes) -> None:
        tag, text = _text(value)
        if writable and tag == "4":
            add(oid, "4:devicewrite", f"value={text}")
        else:
            add(oid, tag, text)

    add_settable("1.3.6.1.2.1.1.5.0", dev.sys_name)
    add_settable("1.3.6.1.2.1.1.6.0", dev.location)
    add("1.3.6.1.2.1.25.3.2.1.2.1", "6", "1.3.6.1.2.1.25.3.1.5")
    add_text("1.3.6.1.2.1.25.3.2.1.3.1", f"{dev.vendor} {dev.model}")
    add("1.3.6.1.2.1.25.3.2.1.5.1", "2", dev.device_status)
    add("1.3.6.1.2.1.25.3.5.1.1.1", "2", dev.printer_status)
    add("1.3.6.1.2.1.25.3.5.1.2.1", "4x", _error_octets(dev.errors))
    add("1.3.6.1.2.1.43.5.1.1.3.1", "2:devicewrite" if writable else "2", "value=3" if writable else "3")
    add_text("1.3.6.1.2.1.43.5.1.1.16.1", f"{dev.vendor} {dev.model}")
    add_text("1.3.6.1.2.1.43.5.1.1.17.1", dev.serial)
    for i, (name, current, maximum) in enumerate(dev.trays, start=1):
        add(f"1.3.6.1.2.1.43.8.2.1.9.1.{i}", "2", maximum)
        add(f"1.3.6.1.2.1.43.8.2.1.10.1.{i}", "2", current)
        add_text(f"1.3.6.1.2.1.43.8.2.1.13.1.{i}", name)
    if dev.total is not None:
        add("1.3.6.1.2.1.43.10.2.1.4.1.1", "65", dev.total)
    colorants = []
    for i, supply in enumerate(dev.supplies, start=1):
        colorant = 0
        if supply.colour:
            if supply.colour not in colorants:
                colorants.append(supply.colour)
            colorant = colorants.index(supply.colour) + 1
        add(f"1.3.6.1.2.1.43.11.1.1.3.1.{i}", "2", colorant)
        add(f"1.3.6.1.2.1.43.11.1.1.4.1.{i}", "2", RECEPTACLE if supply.type == "waste" else CONSUMED)
        add(f"1.3.6.1.2.1.43.11.1.1.5.1.{i}", "2", SUPPLY_TYPE_CODES.get(supply.type, 1))
        add_text(f"1.3.6.1.2.1.43.11.1.1.6.1.{i}", supply.description)
        add(f"1.3.6.1.2.1.43.11.1.1.7.1.{i}", "2", 19)
        add(f"1.3.6.1.2.1.43.11.1.1.8.1.{i}", "2", supply.max_capacity)
        add(f"1.3.6.1.2.1.43.11.1.1.9.1.{i}", "2", supply.level)
    for i, colour in enumerate(colorants, start=1):
        add_text(f"1.3.6.1.2.1.43.12.1.1.4.1.{i}", colour)
    for i, alert in enumerate(dev.alerts, start=1):
        severity, description, group, code, group_index, training = (*alert, 1, 1, 1, 4)[:6]
        add(f"1.3.6.1.2.1.43.18.1.1.2.1.{i}", "2", severity)
        add(f"1.3.6.1.2.1.43.18.1.1.3.1.{i}", "2", training)
        add(f"1.3.6.1.2.1.43.18.1.1.4.1.{i}", "2", group)
        add(f"1.3.6.1.2.1.43.18.1.1.5.1.{i}", "2", group_index)
        add(f"1.3.6.1.2.1.43.18.1.1.6.1.{i}", "2", 0)
        add(f"1.3.6.1.2.1.43.18.1.1.7.1.{i}", "2", code)
        add_text(f"1.3.6.1.2.1.43.18.1.1.8.1.{i}", description)
        # Raised ten minutes before the agent's uptime (TimeTicks: hundredths of a second).
        add(f"1.3.6.1.2.1.43.18.1.1.9.1.{i}", "67", max(0, dev.uptime_ticks - 60_000))
    if dev.vendor == "HP":
        for suffix, value in (("5", dev.total), ("6", dev.black), ("7", dev.colour_pages)):
            if value is not None:
                add(f"1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2.{suffix}.0", "65", value)
    if dev.vendor == "Xerox":
        for suffix, value in (("1", dev.total), ("34", dev.black), ("33", dev.colour_pages)):
            if value is not None:
                add(f"1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.{suffix}", "65", value)
    rows.sort(key=lambda r: r[0])
    return "".join(f"{'.'.join(map(str, oid))}|{tag}|{value}\n" for oid, tag, value in rows)


def _colour_toners(level=60) -> list[SimSupply]:
    return [
        SimSupply("Black Toner Cartridge", "toner", "black", level, 100),
        SimSupply("Cyan Toner Cartridge", "toner", "cyan", level - 10, 100),
        SimSupply("Magenta Toner Cartridge", "toner", "magenta", level - 20, 100),
        SimSupply("Yellow Toner Cartridge", "toner", "yellow", level - 30, 100),
    ]


SPECIAL_DEVICES: list[SimDevice] = [
    SimDevice(
        "sim-xerox-colour",
        "Xerox",
        "ColorQube 9203",
        "813000305",
        "EC2-25L-WJ50",
        "111/1/Webster/NY/USA",
        supplies=[
            *_colour_toners(80),
            SimSupply("Drum Cartridge", "drum", "", 40000, 80000),
            SimSupply("Waste Toner Container", "waste", "", 9000, 10000),
        ],
        total=681235,
        black=500000,
        colour_pages=181235,
        trays=[("Tray 1", 250, 500), ("Tray 2", -3, 500)],
    ),
    SimDevice(
        "sim-hp-mono",
        "HP",
        "LaserJet Enterprise M607",
        "JPBF123456",
        "HP-M607-2F",
        "Floor 2, copy room",
        device_status=3,
        errors=("lowToner",),
        supplies=[
            SimSupply("Black Cartridge HP 37X", "toner", "black", 8, 100),
            SimSupply("Maintenance Kit", "fuser", "", 180000, 225000),
        ],
        total=288145,
        black=288145,
        colour_pages=0,
        alerts=[(4, "Black cartridge low", 11, 1104, 1, 3)],  # marker supplies, toner almost empty
    ),
    SimDevice(
        "sim-paper-out",
        "Xerox",
        "WorkCentre 5665",
        "3634093981",
        "WC5665-1",
        "Reception",
        device_status=3,
        errors=("noPaper", "inputTrayEmpty", "serviceRequested"),
        supplies=[SimSupply("Black Toner", "toner", "black", 55, 100)],
        total=1462511,
        black=1462511,
        alerts=[(3, "Paper out, input tray empty", 8, 808, 1, 3), (4, "Intervention required", 5, 1, 1, 4)],
    ),
    SimDevice(
        "sim-every-error",
        "Canon",
        "imageRUNNER ADVANCE C5535i",
        "CAN5535ERR",
        "IRADV-ERR",
        "Basement",
        device_status=5,
        printer_status=1,
        errors=ERROR_BITS,
        supplies=_colour_toners(30),
        total=900000,
    ),
    SimDevice(
        "sim-special-levels",
        "Kyocera",
        "ECOSYS M3655idn",
        "KYO3655LVL",
        "KYO-LVL",
        "Lab",
        supplies=[
            SimSupply("Toner Kit TK-3200", "toner", "black", -3, 40000),
            SimSupply("Waste Toner Box", "waste", "", -2, -2),
            SimSupply("Drum Unit", "drum", "", -1, 300000),
        ],
        total=45000,
        writable=False,
    ),
    SimDevice(
        "sim-encodings",
        "Brother",
        "HL-L8360CDW",
        "BRO8360ENC",
        "Imprimante-Étage-3".encode(),
        "Salle café ☕",
        supplies=[
            SimSupply("Cartouche de toner noir — TN-423BK".encode(), "toner", "black", 70, 100),
            SimSupply("Toner Cyan".encode("latin-1") + b"\x00", "toner", "cyan", 60, 100),
            SimSupply("Magenta Toner \xe9".encode("latin-1"), "toner", "magenta", 50, 100),
            SimSupply("Gelb Toner – Füllstand", "toner", "yellow", 40, 100),
        ],
        total=30316,
    ),
    SimDevice(
        "sim-no-supplies",
        "Lexmark",
        "MS821dn",
        "LEXNOSUP01",
        "LEX-NOSUP",
        "Warehouse",
        supplies=[],
        total=5000,
    ),
    SimDevice(
        "sim-counter-backwards",
        "Ricoh",
        "IM C3000",
        "RICBACK001",
        "RIC-BACK",
        "Accounts",
        supplies=_colour_toners(90),
        total=1200,  # the board was replaced: the counter restarted
    ),
    SimDevice(
        "sim-hostile",
        "HP",
        "Color LaserJet <script>alert(1)</script>",
        "HOSTILE01",
        '<img src=x onerror="alert(1)">' + "A" * 400,
        "Floor\x07 2\r\n=cmd|'/C calc'!A0",
        device_status=3,
        errors=("doorOpen",),
        supplies=[
            SimSupply("<b>Black</b><script>alert('toner')</script>", "toner", "black", 12, 100),
            SimSupply(b"\xff\xfe\xfa invalid utf8 \x01\x02", "toner", "cyan", 20, 100),
        ],
        total=99999,
        black=90000,
        colour_pages=9999,
        alerts=[(3, '"><svg onload=alert(1)>'), (4, "x" * 3000)],
    ),
]


def _variant(community: str, base: str, **changes) -> SimDevice:
    spec = next(d for d in SPECIAL_DEVICES if d.community == base)
    return SimDevice(**{**spec.__dict__, "community": community, **changes})


# The same printers at another moment (same serial, another state): polling a device with one
# community, then another, is the printer changing between two polls.
LATER_DEVICES: list[SimDevice] = [
    # sim-paper-out once the paper was refilled.
    _variant("sim-paper-refilled", "sim-paper-out", device_status=2, errors=(), alerts=[]),
    # sim-hp-mono after a new cartridge, whose alert table still says "toner low" (a printer
    # at 100 % with a stale alert: check_snmp_printer #39).
    _variant(
        "sim-hp-alert-stale",
        "sim-hp-mono",
        device_status=2,
        errors=(),
        supplies=[
            SimSupply("Black Cartridge HP 37X", "toner", "black", 100, 100),
            SimSupply("Maintenance Kit", "fuser", "", 180000, 225000),
        ],
    ),
    # sim-xerox-colour with its black toner empty.
    _variant(
        "sim-xerox-toner-empty",
        "sim-xerox-colour",
        device_status=5,
        printer_status=1,
        errors=("noToner",),
        supplies=[
            SimSupply("Black Toner Cartridge", "toner", "black", 0, 100),
            *_colour_toners(80)[1:],
            SimSupply("Drum Cartridge", "drum", "", 40000, 80000),
            SimSupply("Waste Toner Container", "waste", "", 9000, 10000),
        ],
    ),
    # One printer whose front door is opened, closed and opened again.
    _variant(
        "sim-door-open",
        "sim-xerox-colour",
        serial="DOOR00042",
        device_status=5,
        printer_status=1,
        errors=("doorOpen",),
    ),
    _variant("sim-door-closed", "sim-xerox-colour", serial="DOOR00042"),
]

SYSTEM_GROUP = "1.3.6.1.2.1.1."


def asleep_recording(dev: SimDevice) -> str:
    """``dev`` asleep (or half-booted): it answers the system group, nothing of the Printer-MIB
    or of the host resources."""
    return "".join(line for line in recording(dev).splitlines(True) if line.startswith(SYSTEM_GROUP))


def later_recordings() -> dict[str, str]:
    """community → recording of ``LATER_DEVICES``, and ``sim-xerox-asleep`` (sim-xerox-colour asleep)."""
    recordings = {dev.community: recording(dev) for dev in LATER_DEVICES}
    recordings["sim-xerox-asleep"] = asleep_recording(SPECIAL_DEVICES[0])
    return recordings


def recording_for_device(device) -> str:
    """A recording that answers like the demo device ``device`` (consistent with its history)."""
    state = getattr(device, "state", None)
    supplies = [
        SimSupply(
            s.description or f"Supply {s.index}",
            s.type,
            s.colour if s.colour != "other" else "",
            s.level if s.level is not None else -2,
            s.max_capacity if s.max_capacity is not None else -2,
        )
        for s in device.supplies.all()
    ]
    overall = state.overall if state else "ok"
    errors = tuple(c for c in (state.conditions if state else []) if c in ERROR_BITS)
    total = (state.total_pages if state and state.total_pages else 10000) + 150
    model = device.model
    return recording(
        SimDevice(
            community=device.snmp_community,
            vendor=model.manufacturer.name if model else "Xerox",
            model=model.name if model else "Printer",
            serial=device.serial_number,
            sys_name=device.system_name or device.serial_number,
            location=device.printer_location,
            device_status={"ok": 2, "warning": 3, "error": 5}.get(overall, 1),
            printer_status=3 if overall != "error" else 1,
            errors=errors,
            supplies=supplies,
            total=total,
            black=int(total * 0.7) if model and model.is_colour else total,
            colour_pages=total - int(total * 0.7) if model and model.is_colour else 0,
        )
    )


def write_recordings(data_dir: Path, devices=()) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for dev in SPECIAL_DEVICES:
        (data_dir / f"{dev.community}.snmprec").write_text(recording(dev))
        count += 1
    for device in devices:
        (data_dir / f"{device.snmp_community}.snmprec").write_text(recording_for_device(device))
        count += 1
    return count


VARIATIONS = Path(__file__).resolve().parent / "sim_variations"


def variation_dirs() -> list[Path]:
    """Where snmpsim finds its variation modules: ours (``devicewrite``: what a SET wrote, kept
    per simulated printer) and snmpsim's own (``delay`` and the others the tests use). Naming
    any directory replaces snmpsim's default search path, so its own comes second."""
    dirs = [VARIATIONS]
    spec = importlib.util.find_spec("snmpsim")
    if spec and spec.submodule_search_locations:
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "variation")
    return dirs


def snmpsim_command(data_dir: Path, cache_dir: Path, endpoints: list[str], extra_args=()) -> list[str]:
    """The snmpsim command line (dropping privileges to root's own id when run as root:
    the virtualenv usually lives where an unprivileged user cannot read it)."""
    exe = Path(sys.executable).with_name("snmpsim-command-responder")
    command = [
        str(exe) if exe.exists() else shutil.which("snmpsim-command-responder") or "snmpsim-command-responder"
    ]
    command += [f"--data-dir={data_dir}", f"--cache-dir={cache_dir}"]
    command += [f"--variation-modules-dir={d}" for d in variation_dirs()]
    command += [f"--agent-udpv4-endpoint={e}" for e in endpoints]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command += ["--process-user=root", "--process-group=root"]
    return command + list(extra_args)


def snmpsim_start(
    data_dir: Path, cache_dir: Path, endpoints: list[str], log_file: Path, extra_args=(), prefix=()
) -> subprocess.Popen:
    """Start snmpsim; ``prefix`` goes before its command line, e.g. ``["ip", "netns", "exec",
    NAME]`` to serve from a network namespace (``ip netns exec`` execs, so the process
    returned is snmpsim's own)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_file, "ab")  # noqa: SIM115 -- kept open for the child's lifetime
    return subprocess.Popen(  # noqa: S603 -- fixed command line built above
        [*prefix, *snmpsim_command(data_dir, cache_dir, endpoints, extra_args)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


# --- The raw-print listener: the simulated printers' port 9100 ------------------------------

RAW_SERIAL = re.compile(rb"^Serial:\s*(.*?)\s*$", re.MULTILINE)
RAW_MODEL = re.compile(rb"^Model:\s*(.*?)\s*$", re.MULTILINE)
RAW_MAX_BYTES = 4 * 1024 * 1024


def raw_job_device(job: bytes) -> tuple[str, str]:
    """(serial, model) named by an FMP test page (``fmp_snmp.actions.test_page``); empty
    strings for another job. Every simulated printer shares 127.0.0.1: the page says which."""
    serial, model = RAW_SERIAL.search(job), RAW_MODEL.search(job)
    return (
        serial.group(1).decode("ascii", "replace") if serial else "",
        model.group(1).decode("ascii", "replace") if model else "",
    )


class RawPrintServer(socketserver.ThreadingTCPServer):
    """Accepts print jobs as a printer's raw port does (JetDirect/AppSocket: the job, then the
    end of the stream), keeps each in ``folder`` and appends a line per job to
    ``folder/received.log`` (and to standard output: the demo's console)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], folder: Path, echo=None):
        self.folder = folder
        self.echo = echo
        self.lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(address, _RawPrintHandler)

    def job_received(self, job: bytes) -> str | None:
        if not job:
            return None  # a connection that sent nothing (a port check): no job
        serial, model = raw_job_device(job)
        with self.lock:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            name = (
                f"{stamp}-{re.sub(r'[^A-Za-z0-9]+', '_', serial or 'job')}-{time.monotonic_ns() % 10**6}.pcl"
            )
            (self.folder / name).write_bytes(job)
            what = f"test page received for {serial} ({model})" if serial else "print job received"
            line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {what}, {len(job)} bytes: {self.folder / name}"
            with open(self.folder / "received.log", "a", encoding="utf-8") as log:
                log.write(line + "\n")
        if self.echo:
            self.echo(f"Simulated printer: {what} (saved in {self.folder / name})")
        return line

    def handle_error(self, request, client_address) -> None:
        if self.echo:  # one line, not a traceback on the demo's console
            self.echo(
                f"Simulated printer: a print job from {client_address[0]} failed: {sys.exc_info()[1]!r}"
            )


class _RawPrintHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(30)
        job = bytearray()
        try:
            while len(job) < RAW_MAX_BYTES and (chunk := self.request.recv(65536)):
                job.extend(chunk)
        except OSError:
            pass  # a broken connection: keep what arrived
        self.server.job_received(bytes(job))


def raw_print_main(argv: list[str] | None = None) -> int:
    """``python -m fmp_snmp.simfleet raw-print --port N --dir FOLDER [--host H]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m fmp_snmp.simfleet raw-print")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--dir", required=True, help="where the jobs and received.log are kept")
    args = parser.parse_args(argv)
    try:
        server = RawPrintServer(
            (args.host, args.port), Path(args.dir), echo=lambda text: print(text, flush=True)
        )
    except OSError as exc:
        print(f"The raw-print listener cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    (Path(args.dir) / "listener.ready").write_text(str(os.getpid()))  # for raw_print_start
    with server:
        server.serve_forever()
    return 0


def raw_print_start(
    port: int, folder: Path, *, host: str = "127.0.0.1", wait: float = 5.0
) -> subprocess.Popen:
    """Start the raw-print listener in a process of its own, once it accepts connections; its
    lines go to standard output (the demo's console), its errors to ``folder/listener.log``.
    Raises RuntimeError (with its message) when it cannot listen, e.g. the port is taken."""
    folder.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    errors, ready = folder / "listener.log", folder / "listener.ready"
    ready.unlink(missing_ok=True)
    command = [sys.executable, "-m", "fmp_snmp.simfleet", "raw-print", "--host", host, "--port", str(port)]
    with open(errors, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 -- our own module
            [*command, "--dir", str(folder)], env=env, stderr=log
        )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            lines = errors.read_text(errors="replace").strip().splitlines()
            raise RuntimeError(lines[-1] if lines else "it stopped")
        with contextlib.suppress(OSError):
            if ready.read_text() == str(process.pid):
                return process
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"it did not accept connections on {host}:{port} within {wait:.0f} s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["raw-print"]:
        sys.exit(raw_print_main(sys.argv[2:]))
    sys.exit("usage: python -m fmp_snmp.simfleet raw-print --port N --dir FOLDER")
