"""Configuration read from the environment: what an operator sets is what the portal uses."""

import json
import os
import subprocess
import sys

from tests.conftest import run_manage

PRINT_DB = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


def settings_of(**env):
    out = subprocess.run(
        [sys.executable, "-c", PRINT_DB],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "fmp.settings", **env},
        timeout=60,
        check=False,
    )
    return out


def test_jit_is_off_and_options_from_the_url_are_kept():
    url = "postgres://postgres@127.0.0.1:5432/fmp?options=-c%20statement_timeout%3D5000"
    out = settings_of(DATABASE_URL=url)
    assert out.returncode == 0, out.stderr
    options = json.loads(out.stdout)["options"]
    assert (
        "statement_timeout=5000" in options and "jit=off" in options and "tcp_keepalives_idle=60" in options
    )


def test_jit_server_sends_nothing_and_a_bad_value_is_refused():
    out = settings_of(DATABASE_URL="postgres://postgres@127.0.0.1:5432/fmp", FMP_DB_JIT="server")
    assert out.returncode == 0 and "options" not in json.loads(out.stdout)
    bad = settings_of(DATABASE_URL="postgres://postgres@127.0.0.1:5432/fmp", FMP_DB_JIT="maybe")
    assert bad.returncode != 0 and "FMP_DB_JIT" in bad.stderr


def test_a_visibility_timeout_shorter_than_an_email_retry_is_flagged():
    broker = "redis://127.0.0.1:6379/15"
    short = run_manage("check", CELERY_BROKER_URL=broker, FMP_CELERY_VISIBILITY_TIMEOUT="600")
    assert "fmp.W001" in short.stdout + short.stderr
    default = run_manage("check", CELERY_BROKER_URL=broker)
    assert default.returncode == 0 and "fmp.W001" not in default.stdout + default.stderr
