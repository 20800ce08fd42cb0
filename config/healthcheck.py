"""`python -m config.healthcheck`: the container's health check (Dockerfile, compose.yaml).

Asks this container's daphne for /healthz (database and channel layer), as the first public
host: a host ALLOWED_HOSTS accepts in any deployment, whatever the councils' hosts are.
Exit status 0 when it answers 200.
"""

import os
import sys
import urllib.request


def main() -> int:
    host = os.environ.get("PUBLIC_HOSTS", "localhost").split(",")[0].strip() or "localhost"
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 (loopback)
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
