"""FMP site collector: polls a customer's printers with the FMP SNMP engine and sends the
observations to the portal over outbound HTTPS only. No Django, no database server."""

__version__ = "0.2.0"
