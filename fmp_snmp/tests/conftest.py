"""The engine's tests run without Django: ``pytest -p no:django fmp_snmp/tests``."""

pytest_plugins = ["fmp_snmp.testing"]
