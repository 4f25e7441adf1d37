"""``FolderEmailBackend``: e-mails written to a folder, one readable file per message (the demo's
default, see scripts/demo): nothing is sent, and the console keeps one line per message instead
of the MIME text of Django's console backend.

Each message gives ``<time>-<n>-<recipient>.txt`` (headers and the plain-text body, as a person
reads it) and the same name in ``.eml`` (the whole message, for a mail program), in
``EMAIL_FILE_PATH`` (``FMP_EMAIL_FILE_PATH``, default ``var/mail``).
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

logger = logging.getLogger("fmp.mail")
_counter = itertools.count(1)
_lock = threading.Lock()


class FolderEmailBackend(BaseEmailBackend):
    def __init__(self, *args, file_path: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.folder = Path(
            file_path or getattr(settings, "EMAIL_FILE_PATH", "") or Path(settings.BASE_DIR) / "var" / "mail"
        )

    def _new_file(self, slug: str, suffix: str, content: bytes) -> Path:
        """A file of its own (the web process and the poller both write here): created
        exclusively, under the next number when the name is taken."""
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        while True:
            with _lock:
                path = self.folder / f"{stamp}-{next(_counter):04d}-{slug}{suffix}"
            try:
                with open(path, "xb") as out:
                    out.write(content)
                return path
            except FileExistsError:
                continue

    def send_messages(self, email_messages) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            to = ", ".join(message.recipients())
            first = message.recipients()[0] if message.recipients() else "nobody"
            slug = re.sub(r"[^A-Za-z0-9@.-]+", "_", first)[:60]
            readable = (
                f"From: {message.from_email}\nTo: {to}\nSubject: {message.subject}\n"
                f"Date: {timezone.localtime():%Y-%m-%d %H:%M:%S %Z}\n\n{message.body}\n"
            )
            text = self._new_file(slug, ".txt", readable.encode("utf-8"))
            Path(str(text)[: -len(".txt")] + ".eml").write_bytes(message.message().as_bytes(linesep="\n"))
            logger.info('E-mail "%s" to %s written to %s', message.subject, to, text)
            sent += 1
        return sent
