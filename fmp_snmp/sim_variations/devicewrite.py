"""snmpsim variation module ``devicewrite``: a writable value kept per simulated printer.

snmpsim's own ``writecache`` keeps what a SET wrote in one cache for the whole simulator,
keyed by OID only: a new sysLocation written to one printer was answered by every printer
(they all share the OID). This module keeps it in the *agent* context, which snmpsim holds
per data file, that is per simulated printer. Record syntax: ``OID|4:devicewrite|value=TEXT``.

snmpsim loads this file itself (``exec``, with its ``--variation-modules-dir``): it imports
nothing of FMP, and snmpsim sets the ``agentContext`` and ``recordContext`` globals before
each call.
"""

from snmpsim.grammar.snmprec import SnmprecGrammar
from snmpsim.record.snmprec import SnmprecRecord

agentContext: dict = {}  # set by snmpsim: one dict per data file
recordContext: dict = {}  # set by snmpsim: one dict per data file and OID


def init(**context):
    pass


def variate(oid, tag, value, **context):
    if not context["nextFlag"] and not context["exactMatch"]:
        return context["origOid"], tag, context["errorStatus"]
    if "type" not in recordContext:
        type_tag, _ = SnmprecRecord.unpack_tag(tag)
        recordContext["type"] = SnmprecGrammar.TAG_MAP[type_tag]()
        # Everything after "value=" is the value (a location may hold commas).
        recordContext["value"] = recordContext["type"].clone(value.partition("value=")[2])
    written = agentContext.setdefault("written", {})
    key = str(oid)
    if context["setFlag"]:
        if not recordContext["type"].isSameTypeWith(context["origValue"]):
            return context["origOid"], tag, context["errorStatus"]
        written[key] = context["origValue"]
    return oid, tag, written.get(key, recordContext["value"])


def shutdown(**context):
    pass
