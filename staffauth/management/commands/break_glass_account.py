"""A council's break-glass account: signs in with a password while single sign-on is
required (for when the council's identity provider is down). Run by a partnership manager,
who keeps the password; it is printed once. The public admin's "Councils' staff sign-in"
does the same."""

from django.core.management.base import BaseCommand, CommandError

from councils.models import Council
from staffauth.services import break_glass_account_reset


class Command(BaseCommand):
    help = "Create (or reset the password of) a council's break-glass admin account."

    def add_arguments(self, parser):
        parser.add_argument("--council", required=True, help="the council's slug")
        parser.add_argument("--username", default="break-glass")

    def handle(self, *args, council: str, username: str, **options):
        row = Council.objects.filter(slug=council).first()
        if row is None:
            raise CommandError(f"No council {council!r}.")
        password = break_glass_account_reset(schema_name=row.schema_name, username=username)
        self.stdout.write(f"Break-glass account {username!r} at {row.name}. Password: {password}")
        self.stdout.write("Keep it offline; it still needs two-factor if the council requires it.")
