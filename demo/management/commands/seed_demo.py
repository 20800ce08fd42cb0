"""python manage.py seed_demo: the demo councils, hosts, departments and logins (DEMO=1)."""

import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.seed import MANAGER_USERNAME, OPERATORS, seed_demo

PASSWORD_FILE = Path(settings.BASE_DIR) / ".local" / "demo_password"


class Command(BaseCommand):
    help = (
        "Create what is missing of the demo (never changes what exists). "
        "Password of new logins: DEMO_PASSWORD or random."
    )

    def handle(self, *args, **options) -> None:
        password = settings.DEMO_PASSWORD
        generated = False
        if not password:
            if PASSWORD_FILE.exists():
                password = PASSWORD_FILE.read_text().strip()
            if not password:
                password = secrets.token_urlsafe(12)
                generated = True
            PASSWORD_FILE.parent.mkdir(exist_ok=True)
            PASSWORD_FILE.write_text(password + "\n")
            PASSWORD_FILE.chmod(0o600)
        report = seed_demo(password=password)
        self.stdout.write(
            f"Councils created: {len(report.councils_created)}, "
            f"already there (left as they are): {len(report.councils_kept)}."
        )
        if report.councils_kept:
            self.stdout.write(
                "Logins that already existed keep their password (make clean starts afresh)."
            )
        usernames = ", ".join(OPERATORS)
        self.stdout.write(
            f"Operators {usernames} on every council host; partnership manager "
            f"{MANAGER_USERNAME!r} on the public host."
        )
        if report.manager_two_factor is not None:
            two_factor = report.manager_two_factor
            self.stdout.write(
                f"{MANAGER_USERNAME!r} signs in with two-factor: add the key {two_factor.secret} "
                "to an authenticator app, or use a recovery code (one use each, new every "
                f"seed): {' '.join(two_factor.recovery_codes[:5])}"
            )
        if generated or not settings.DEMO_PASSWORD:
            self.stdout.write(self.style.WARNING(f"Demo password: {password}"))
