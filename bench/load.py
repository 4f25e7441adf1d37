"""Load: the production stack serving the printers grid of a 10,000-device account to wrk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fmp_bench .venv/bin/python bench/load.py

Needs the 10,000-device account of bench/grid.py (built on first run) and wrk (Debian
package `wrk`). Starts gunicorn with FMP_WEB_WORKERS workers (default 3) and production
settings on 127.0.0.1, logs a user in, then runs wrk against /printers/ with 10 and 50
connections for a bounded time, and prints requests per second, median and 99th
percentile latency and the error count. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

from common import ROOT, Gunicorn, production_env


def session_cookie(env: dict) -> str:
    code = (
        "import django, os; django.setup();"
        "from django.contrib.sessions.backends.db import SessionStore;"
        "from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, BACKEND_SESSION_KEY;"
        "from accounts.models import User;"
        "u = User.objects.get(username='bench10000@example.com');"
        "s = SessionStore(); s[SESSION_KEY] = str(u.pk); s[BACKEND_SESSION_KEY] = 'accounts.backends.UsernameOrEmailBackend';"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create(); print(s.session_key)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def parse(output: str) -> dict:
    def grab(pattern, cast=str):
        m = re.search(pattern, output)
        return cast(m.group(1)) if m else None

    return {
        "rps": grab(r"Requests/sec:\s+([\d.]+)", float),
        "p50": grab(r"\s50%\s+([\d.]+\w+)"),
        "p99": grab(r"\s99%\s+([\d.]+\w+)"),
        "requests": grab(r"(\d+) requests in"),
        "non2xx": grab(r"Non-2xx or 3xx responses: (\d+)", int) or 0,
        "errors": grab(r"Socket errors: (.*)") or "none",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("FMP_WEB_WORKERS", "3")))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk).")
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to the PostgreSQL benchmark database.")
    subprocess.run(
        [sys.executable, "bench/grid.py", "--devices", "10000", "--repeat", "1"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    env = production_env()
    gunicorn = Gunicorn(env, workers=args.workers)
    try:
        cookie = session_cookie(env)
        url = f"{gunicorn.url}/printers/"
        warm = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Cookie: sessionid={cookie}", url],
            capture_output=True,
            text=True,
            check=False,
        )
        assert warm.stdout == "200", f"the grid answered {warm.stdout}"
        print(
            f"gunicorn {args.workers} workers, PostgreSQL, Redis; /printers/ of a 10,000-device account; {args.seconds} s per run"
        )
        for connections in args.connections:
            out = subprocess.run(
                [
                    "wrk",
                    "--timeout",
                    "30s",
                    "-t2",
                    f"-c{connections}",
                    f"-d{args.seconds}s",
                    "--latency",
                    "-H",
                    f"Cookie: sessionid={cookie}",
                    url,
                ],
                capture_output=True,
                text=True,
                check=True,
                timeout=args.seconds + 60,
            ).stdout
            r = parse(out)
            print(
                f"  {connections:3d} connections: {r['rps']:7.1f} requests/s, median {r['p50']}, p99 {r['p99']}, "
                f"{r['requests']} requests, {r['non2xx']} non-2xx, socket errors: {r['errors']}"
            )
    finally:
        gunicorn.stop()


if __name__ == "__main__":
    main()
