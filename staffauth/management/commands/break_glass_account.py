"""A council's break-glass account: signs in with a password while single sign-on is
required (for when the council's identity provider is down). Run by a partnership manager,
who keeps the password; it is printed once."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from councils.models import Council
from staffauth.models import StaffAccount
from staffauth.roles import COUNCIL_ADMINS


class Command(BaseCommand):
    help = "Create (or reset the password of) a council's break-glass admin account."

    def add_arguments(self, parser):
        parser.add_argument("--council", required=True, help="the council's slug")
        parser.add_argument("--username", default="break-glass")

    def handle(self, *args, council: str, username: str, **options):
        row = Council.objects.filter(slug=council).first()
        if row is None:
            raise CommandError(f"No council {council!r}.")
        password = secrets.token_urlsafe(18)
        with schema_context(row.schema_name):
            user, _ = get_user_model().objects.get_or_create(
                username=username, defaults={"is_staff": True}
            )
            user.is_staff = True
            user.is_active = True
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=COUNCIL_ADMINS))
            StaffAccount.objects.update_or_create(user=user, defaults={"break_glass": True})
        self.stdout.write(f"Break-glass account {username!r} at {row.name}. Password: {password}")
        self.stdout.write("Keep it offline; it still needs two-factor if the council requires it.")
