"""SNMP for FMP: the client (the only code that imports pysnmp), the collector that asks a
printer for everything we need, and the normaliser that turns MIB values into our domain."""
