"""French formats over Django's (``FORMAT_MODULE_PATH``): only what differs is here.

Digits are grouped with a narrow no-break space ("1 234", as the French typographic rules
and the CLDR have it), and a percent sign follows the number after the same space
("45 %"). ``PERCENT_FORMAT`` and ``CSV_DELIMITER`` are the portal's own (``fmp.l10n``)."""

THOUSAND_SEPARATOR = "\u202f"
PERCENT_FORMAT = "{}\u202f%"
# A French spreadsheet reads "1,5" as a number and takes the comma for the decimal
# separator, so its CSV columns are separated by semicolons.
CSV_DELIMITER = ";"
