"""What an uploaded document really is, judged by its content (not only its name)."""

from __future__ import annotations

import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fmp.l10n import format_number

OFFICE = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", {"docx"}),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {"xlsx"}),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", {"pptx"}),
}


def sniff(upload) -> tuple[str, set[str]] | None:
    """(content type, allowed extensions) of the file's content, or None when not allowed."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf", {"pdf"}
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", {"png"}
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", {"jpg", "jpeg"}
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names:
            for prefix, result in OFFICE.items():
                if any(n.startswith(prefix) for n in names):
                    return result
        return None
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut at the 8 KiB boundary
                return None
        return "text/plain", {"txt", "csv"}
    return None


def validate_document(upload) -> str:
    """Refuse what is too big, not an allowed type, or named as something it is not. Returns the content type."""
    limit = settings.FMP_DOCUMENT_MAX_MB * 1024 * 1024
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "size": format_number(upload.size / 1024 / 1024, decimals=1),
                "limit": format_number(settings.FMP_DOCUMENT_MAX_MB),
            }
        )
    found = sniff(upload)
    if found is None:
        raise ValidationError(
            _(
                "This kind of file is not accepted. Allowed: PDF, PNG, JPEG, Word, Excel, PowerPoint, text and CSV."
            )
        )
    content_type, extensions = found
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in extensions:
        raise ValidationError(
            _(
                "The file's content is %(type)s but its name ends in “.%(ext)s”: rename it or upload the right file."
            )
            % {"type": content_type, "ext": extension or "?"}
        )
    return content_type
