"""English formats over Django's (``FORMAT_MODULE_PATH``): "1,234", "45%"; CSV with commas.
``PERCENT_FORMAT`` and ``CSV_DELIMITER`` are the portal's own (``fmp.l10n``)."""

PERCENT_FORMAT = "{}%"
CSV_DELIMITER = ","
