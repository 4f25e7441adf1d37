"""The demo's e-mails go to files (one readable .txt and one .eml per message), not as MIME text
into the server's console: "Forgot password?" leaves the temporary password in var/mail/."""

from __future__ import annotations

import logging
import re

import pytest

from accounts.notifications import background_wait
from tests.conftest import can_log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_forgot_password_writes_a_readable_file_with_the_temporary_password(
    client, plain_user, settings, tmp_path, caplog, capsys
):
    settings.EMAIL_BACKEND = "fmp.mail.FolderEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    with caplog.at_level(logging.INFO, logger="fmp.mail"):
        client.post("/accounts/password/forgot/", {"username": plain_user.email})
        background_wait()
    (text,) = (tmp_path / "mail").glob("*.txt")
    (eml,) = (tmp_path / "mail").glob("*.eml")
    assert text.stem == eml.stem and text.name.endswith(f"-{plain_user.email}.txt")
    body = text.read_text(encoding="utf-8")
    assert f"To: {plain_user.email}" in body and "mot de passe temporaire" in body
    assert "Content-Transfer-Encoding" not in body  # as a person reads it
    assert b"Content-Type: multipart/alternative" in eml.read_bytes()
    password = re.search(r":\s+([A-Za-z0-9]{12})\s", body).group(1)
    assert can_log_in(client, plain_user.username, password)
    # The console: one line naming the file, no message text.
    assert [r.getMessage() for r in caplog.records if r.name == "fmp.mail"] == [
        f'E-mail "{body.split("Subject: ", 1)[1].splitlines()[0]}" to {plain_user.email} written to {text}'
    ]
    out = capsys.readouterr()
    assert "Content-Type" not in out.out + out.err and password not in out.out + out.err
