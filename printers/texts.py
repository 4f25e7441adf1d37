"""The texts the portal writes about devices (``fmp.texts``), worded for each reader.

Device event keys (``DeviceEvent.key``) are codes: their label is what the admin shows,
and ``<key>.detail`` words the event's data."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from fmp.texts import register


def _contract(params) -> str:
    return str(_("Now under contract") if params.get("under_contract") else _("Now out of contract"))


def _command(params) -> str:
    from printers.models import DeviceCommand

    kinds = dict(DeviceCommand.Kind.choices)
    return str(_("%(command)s, for the site collector “%(collector)s”")) % {
        "command": kinds.get(params.get("kind"), params.get("kind") or "?"),
        "collector": params.get("collector") or "?",
    }


def _trap(params) -> str:
    """A trap's event: the alert it reported (by its name in the reader's language), else its kind."""
    from printers.alerts import CODE_LABELS, TRAP_KIND_LABELS

    alert = params.get("alert") or {}
    kind = TRAP_KIND_LABELS.get(params.get("kind"), TRAP_KIND_LABELS["other"])
    if alert:
        what = CODE_LABELS.get(alert.get("code_name"), CODE_LABELS["other"])
        text = str(_("%(alert)s, from %(source)s")) % {"alert": what, "source": params.get("source") or "?"}
        if alert.get("description"):
            text += f" — “{alert['description']}”"
        return text
    return str(_("%(kind)s, from %(source)s")) % {"kind": kind, "source": params.get("source") or "?"}


DEVICE_EVENTS = {
    "printers.device.added": (_("Device added"), _("Address %(address)s")),
    "printers.device.address_changed": (_("Address changed"), _("From %(old)s to %(new)s")),
    "printers.device.answered_by_another": (
        _("Another printer answered at its address"),
        _("At %(address)s: serial %(answered_serial)s, model %(answered_model)s"),
    ),
    "printers.device.collector_changed": (
        _("Site collector changed"),
        _("From “%(old)s” to “%(new)s” (empty: polled by the portal)"),
    ),
    "printers.device.command_queued": (_("Command queued for the site collector"), _command),
    "printers.device.contract_changed": (_("Contract changed"), _contract),
    "printers.device.discovered": (_("Device discovered"), _("Address %(address)s")),
    "printers.device.location_changed": (_("Location changed"), _("From “%(old)s” to “%(new)s”")),
    "printers.device.reset": (_("Reset sent"), None),
    "printers.device.reset_failed": (_("Reset failed"), lambda params: str(params["error"])),
    "printers.device.test_page": (_("Test page sent"), None),
    "printers.device.trap": (_("SNMP trap received"), _trap),
}

for key, (label, detail) in DEVICE_EVENTS.items():
    register(key, label)
    if detail is not None:
        register(f"{key}.detail", detail)

# The outcome of a command carried out by a site collector (DeviceCommand.result).
register("printers.command.revoked", _("the collector was revoked"))
register("printers.command.refused", _("the device refused: %(status)s"))
register("printers.command.failed", _("the site collector could not carry out the command"))
register(
    "printers.command.raw_print_connect",
    _("the printer does not accept print jobs on port %(port)s (%(error)s)"),
)
register("printers.command.raw_print_send", _("the print job could not be sent (%(error)s)"))


def _raw_print(params) -> str:
    from printers.services import raw_print_words

    return raw_print_words(params["stage"], params["port"], params["reason"])


# A test page a site collector could not print: the stage, the port and why (a reason code).
register("printers.command.raw_print", _raw_print)

# What a poll run noted (PollRun.note, for the help desk).
register("printers.run.discovery", _("%(new)d new, %(moved)d moved"))
register(
    "printers.run.foreign",
    ngettext_lazy(
        "%(count)d device answered by another printer: %(devices)s",
        "%(count)d devices answered by another printer: %(devices)s",
        "count",
    ),
)


# Why a poll failed. The SNMP engine (no Django) says it in a fixed English vocabulary
# (fmp_snmp.client and .probe, the same on site collectors); the portal reads it back as a
# code with parameters, so each reader reads it in their language. What matches no pattern
# (an operating-system message) is shown as it is: technical detail.
POLL_ERRORS = [
    (
        "printers.poll.no_answer",
        r"no answer from (?P<address>\S+) in (?P<seconds>[\d.]+)s",
        _("no answer from %(address)s within %(seconds)s s"),
    ),
    (
        "printers.poll.no_answer_detail",
        r"no answer from (?P<address>\S+) \((?P<detail>.*)\)",
        _("no answer from %(address)s (%(detail)s)"),
    ),
    (
        "printers.poll.budget",
        r"no complete answer within the (?P<seconds>[\d.]+)s budget",
        _("no complete answer within %(seconds)s s"),
    ),
    (
        "printers.poll.unresolved",
        r"cannot resolve (?P<host>\S+): (?P<detail>.*)",
        _("the name %(host)s cannot be resolved (%(detail)s)"),
    ),
    (
        "printers.poll.no_printer_data",
        r"the agent answered with no printer data",
        _("the device answered without printer data"),
    ),
    (
        "printers.poll.another_printer",
        r"answered by another printer \(serial (?P<serial>.*), model (?P<model>.*)\)",
        _("another printer answered at this address (serial %(serial)s, model %(model)s)"),
    ),
]
for code, _pattern, template in POLL_ERRORS:
    register(code, template)


def poll_error(text: str):
    """The engine's English poll error as a ``Text`` (code + parameters), or the text itself."""
    import re

    from fmp.texts import Text

    for code, pattern, _template in POLL_ERRORS:
        match = re.fullmatch(pattern, text or "")
        if match:
            return Text(code, **match.groupdict())
    return text
