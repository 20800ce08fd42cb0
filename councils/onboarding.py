"""Bringing a council onboard: its schema (cloned from a prepared base), roles, defaults and
its first admin's set-password link.

Why cloning: migrating a new schema runs every migration of every tenant app (seconds, and
more with every migration we add; django-tenants #719). A base schema, `council_base`, is
kept migrated instead; a new council's schema is a copy of it made by django-tenants'
`clone_schema` SQL function (structure, plus the rows the base holds: migration records,
content types, permissions and the two role groups), inside one transaction with the
council's public rows, so a failed onboarding leaves nothing behind. `bench/onboarding_bench.py`
measures it against the plain migrate path.

The base schema is not a tenant (no Council row), so nothing routes to it, `migrate_schemas`
does not visit it, and beat tasks never see it: `base_schema_prepare` migrates it whenever
its migration plan is not empty (checked at the start of every `onboard_council` run and
before a process's first clone).
"""

from __future__ import annotations

import contextlib
import csv
import logging
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.management import call_command
from django.core.validators import validate_email, validate_slug
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_context, schema_exists

from councils.models import Council, Domain, Partnership
from councils.sites import clear_site_cache

logger = logging.getLogger(__name__)

BASE_SCHEMA = "council_base"
COUNCIL_ADMINS = "Council admins"
OPERATORS = "Operators"
# Council admins manage everything in these apps (chats stay read-only in the admin itself).
ADMIN_APPS = (
    "routing",
    "chat",
    "widgets",
    "attachments",
    "social",
    "privacy",
    "staffauth",
    "assistant",
    "outbox",  # read-only in the admin (outbox/admin.py): counts and retrying failed sends
)
# ...and the council's users: add and change operators, see the role groups. Not delete (a
# leaver is deactivated, so their chats keep their name), and not permissions or superuser
# status (the council's user admin hides those fields from non-superusers).
ADMIN_USER_PERMISSIONS = ("auth.add_user", "auth.change_user", "auth.view_user", "auth.view_group")
# Operators chat in the console; in the admin they may read their own past chats (the
# conversation admin limits them to chats they handled) and the canned responses.
OPERATOR_PERMISSIONS = ("chat.view_conversation", "chat.view_cannedresponse")
DEFAULT_DEPARTMENTS = ("General enquiries",)
DEFAULT_BRAND_COLOUR = "#1d4f91"
ADMIN_NAME_MAX = 150 + 150  # auth.User's first_name and last_name
CREATE_METHODS = ("clone", "migrate")
CLONE_LOCK_KEY = 0x43_43_42_41  # "CCBA": pg_advisory_xact_lock key serialising clones
HOSTNAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


# --- the base schema --------------------------------------------------------------------


def base_pending_migrations() -> int:
    """How many migrations the base schema lacks (every tenant schema needs the same)."""
    with schema_context(BASE_SCHEMA):
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    connection.set_schema_to_public()
    return len(plan)


# Databases whose base schema this process has checked: migrations cannot change under a
# running process, so one check each is enough.
_base_checked: set[str] = set()


def base_schema_prepare(*, verbosity: int = 0, force_check: bool = False) -> bool:
    """Create and migrate the base schema if it is missing or behind; True if it changed.

    Also the place the role groups are (re)written, so every clone starts with them. Call
    outside any transaction (migrating commits).
    """
    database = settings.DATABASES["default"]["NAME"]
    connection.set_schema_to_public()
    if database in _base_checked and not force_check and schema_exists(BASE_SCHEMA):
        return False
    if not schema_exists(BASE_SCHEMA):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{BASE_SCHEMA}"')
    elif base_pending_migrations() == 0:
        _base_checked.add(database)
        return False
    call_command(
        "migrate_schemas",
        tenant=True,
        schema_name=BASE_SCHEMA,
        interactive=False,
        verbosity=verbosity,
    )
    with schema_context(BASE_SCHEMA):
        roles_ensure()
    connection.set_schema_to_public()
    _base_checked.add(database)
    return True


def schema_clone_unsafe(schema_name: str) -> None:
    """Copy the base schema to `schema_name`. Call in public, inside the caller's transaction.

    One clone at a time per database: the clone function is re-created on every call and
    creates and drops helper types in public, so two concurrent clones (the form and the
    command at once) could trip over each other. The lock ends with the transaction.
    """
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLONE_LOCK_KEY])
    CloneSchema().clone_schema(BASE_SCHEMA, schema_name, "DATA", set_connection=False)


def council_create(
    *,
    name: str,
    slug: str,
    partnership: Partnership | None,
    method: str = "clone",
    name_cy: str = "",
) -> Council:
    """The council's row and a ready schema (cloned or migrated), with its role groups.

    For a row whose schema is missing (a failed earlier attempt), the schema is made again.
    Call in public. With "clone", the caller's transaction covers row and schema; "migrate"
    commits as it goes (django-tenants' migrate command does).
    """
    connection.set_schema_to_public()
    council = Council.objects.filter(slug=slug).first() or Council(
        schema_name=Council.schema_name_for(slug), slug=slug
    )
    council.name, council.partnership = name, partnership
    if name_cy:
        council.name_cy = name_cy
    if council.pk and schema_exists(council.schema_name):
        council.save()  # never clone over (or migrate into) a schema that is already there
    elif method == "clone":
        base_schema_prepare()
        council.auto_create_schema = False  # cloned below instead
        council.save()
        schema_clone_unsafe(council.schema_name)
    else:
        council.save(verbosity=0)  # django-tenants creates the schema, runs every migration
        with schema_context(council.schema_name):
            roles_ensure()
    connection.set_schema_to_public()
    return council


# --- roles --------------------------------------------------------------------------------


def _permissions(codes: Iterable[str]) -> list[Permission]:
    found = []
    for code in codes:
        app_label, codename = code.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def roles_ensure() -> tuple[Group, Group]:
    """The council's two groups with exactly their permissions. Run inside the council schema."""
    admins, _ = Group.objects.get_or_create(name=COUNCIL_ADMINS)
    admin_permissions = list(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
    admins.permissions.set(admin_permissions + _permissions(ADMIN_USER_PERMISSIONS))
    operators, _ = Group.objects.get_or_create(name=OPERATORS)
    operators.permissions.set(_permissions(OPERATOR_PERMISSIONS))
    return admins, operators


# --- set-password links ------------------------------------------------------------------


class CouncilTokenGenerator(PasswordResetTokenGenerator):
    """Password-reset tokens that are only valid in one council's schema.

    User ids repeat across schemas, so the schema name is part of the key: a token made for
    user 3 of one council is worthless for user 3 of another.
    """

    def __init__(self, schema_name: str) -> None:
        super().__init__()
        self.key_salt = f"councils.onboarding.CouncilTokenGenerator:{schema_name}"


def council_url(host: str, path: str) -> str:
    """An absolute URL on a council host (scheme and port from settings)."""
    port = settings.COUNCIL_URL_PORT
    return f"{settings.COUNCIL_URL_SCHEME}://{host}{':' + port if port else ''}{path}"


def set_password_link_unsafe(*, user, schema_name: str, host: str) -> str:
    """The link that lets `user` choose a password. Run inside the council's schema."""
    token = CouncilTokenGenerator(schema_name).make_token(user)
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(
        "admin:set_password_confirm", urlconf=settings.COUNCIL_URLCONF, args=[uidb64, token]
    )
    return council_url(host, path)


def split_full_name(full_name: str) -> tuple[str, str]:
    """ "Sam Patel" → ("Sam", "Patel"); "Mary Jane Smith" → ("Mary", "Jane Smith")."""
    first, _, last = " ".join((full_name or "").split()).partition(" ")
    return first[:150], last[:150]


def council_admin_invite_unsafe(*, council: Council, email: str, host: str, name: str = ""):
    """The council's first admin (created once, by email, with their full `name`) and their
    set-password email.

    Run inside the council's schema. The mail goes after commit, so a rolled-back onboarding
    sends nothing.
    """
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        first_name, last_name = split_full_name(name)
        user = User(
            username=email.lower(),
            email=email.lower(),
            first_name=first_name,
            last_name=last_name,
            is_staff=True,
            is_active=True,
        )
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get(name=COUNCIL_ADMINS))
    link = set_password_link_unsafe(user=user, schema_name=council.schema_name, host=host)
    context = {"council": council.name, "username": user.username, "link": link, "host": host}
    subject = f"Your CouncilChat admin account for {council.name}"
    body = render_to_string("councils/email/set_password.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    )
    return user, link


# --- onboarding -------------------------------------------------------------------------


@dataclass(frozen=True)
class CouncilSpec:
    """What a partnership manager says about a new council (a form, or a CSV row)."""

    name: str
    slug: str
    hosts: tuple[str, ...]
    admin_email: str
    partnership_slug: str = ""
    brand_colour: str = DEFAULT_BRAND_COLOUR
    departments: tuple[str, ...] = DEFAULT_DEPARTMENTS
    # The first admin's full name (issue 15): residents see its first word, never the email.
    admin_name: str = ""
    # The council's Welsh name (issue 15), for residents chatting in Welsh; blank: none (an
    # existing council keeps the Welsh name it has).
    name_cy: str = ""

    def validated(self) -> CouncilSpec:
        """The same spec, normalised; ValidationError naming every bad field otherwise."""
        errors: dict[str, str] = {}
        name, slug = self.name.strip(), self.slug.strip().lower()
        hosts = tuple(h.strip().lower() for h in self.hosts if h.strip())
        email = self.admin_email.strip()
        if not name:
            errors["name"] = "Enter the council's name."
        try:
            validate_slug(slug)
            if not slug:
                raise ValidationError("empty")
        except ValidationError:
            errors["slug"] = "Use letters, numbers and hyphens only, e.g. west-dorset."
        if not hosts:
            errors["hosts"] = "Enter at least one host, e.g. chat.westdorset.gov.uk."
        elif bad := [h for h in hosts if not HOSTNAME.fullmatch(h)]:
            errors["hosts"] = f"Not a host name: {', '.join(bad)} (e.g. chat.westdorset.gov.uk)."
        try:
            validate_email(email)
        except ValidationError:
            errors["admin_email"] = "Enter the first admin's email address."
        colour = self.brand_colour.strip() or DEFAULT_BRAND_COLOUR
        colour_problem = _brand_colour_problem(colour)
        if colour_problem:
            errors["brand_colour"] = colour_problem
        name_cy = " ".join(self.name_cy.split())
        if len(name_cy) > Council._meta.get_field("name_cy").max_length:
            errors["name_cy"] = "Use at most 200 characters."
        admin_name = " ".join(self.admin_name.split())
        if len(admin_name) > ADMIN_NAME_MAX:
            errors["admin_name"] = f"Use at most {ADMIN_NAME_MAX} characters."
        if errors:
            raise ValidationError(errors)
        departments = tuple(d.strip() for d in self.departments if d.strip())
        return CouncilSpec(
            name=name,
            slug=slug,
            hosts=hosts,
            admin_email=email,
            partnership_slug=self.partnership_slug.strip(),
            brand_colour=colour,
            departments=departments or DEFAULT_DEPARTMENTS,
            admin_name=admin_name,
            name_cy=name_cy,
        )


def _brand_colour_problem(colour: str) -> str:
    from widgets.contrast import MIN_CONTRAST, contrast_ratio
    from widgets.models import WidgetSettings, hex_colour

    try:
        hex_colour(colour)
    except ValidationError:
        return "Enter a colour as #RRGGBB, e.g. #1d4f91."
    text = WidgetSettings._meta.get_field("text_colour").default
    if contrast_ratio(colour, text) < MIN_CONTRAST:
        return f"White text on {colour} is too faint (WCAG AA needs {MIN_CONTRAST}:1)."
    return ""


@dataclass
class OnboardResult:
    council: Council
    created: bool
    method: str  # "clone", "migrate", or "" when the council already existed
    seconds: float
    admin_email: str = ""
    set_password_link: str = ""


def _hosts_check(spec: CouncilSpec, council: Council | None) -> None:
    errors = []
    for host in spec.hosts:
        owner = Domain.objects.filter(domain=host).exclude(tenant=council).first()
        if owner is not None:
            errors.append(f"{host} already belongs to {owner.tenant.name}.")
        if Partnership.objects.filter(domain=host).exists():
            errors.append(f"{host} already belongs to a partnership.")
    if errors:
        raise ValidationError({"hosts": errors})


def _hosts_set(council: Council, hosts: tuple[str, ...]) -> None:
    """Add the hosts (the first one primary). Hosts not listed stay: removing one is done on
    the council's page in the public admin, never by omission."""
    Domain.objects.filter(tenant=council).exclude(domain=hosts[0]).update(is_primary=False)
    for index, host in enumerate(hosts):
        Domain.objects.update_or_create(
            domain=host, defaults={"tenant": council, "is_primary": index == 0}
        )


def _defaults_seed_unsafe(spec: CouncilSpec) -> None:
    """A new council's departments and branding. Run inside its schema."""
    from django.utils.text import slugify

    from routing.models import Department
    from widgets.models import WidgetSettings

    for position, name in enumerate(spec.departments):
        Department.objects.get_or_create(
            slug=slugify(name)[:50] or f"department-{position}",
            defaults={"name": name, "position": position},
        )
    branding = WidgetSettings.current()
    branding.brand_colour = spec.brand_colour
    branding.full_clean()
    branding.save()


def council_onboard(
    spec: CouncilSpec, *, method: str = "clone", invite: bool = True
) -> OnboardResult:
    """Onboard the council in `spec`, or update an existing one's name, partnership and hosts.

    Idempotent: a council that exists (by slug) keeps its schema and data; only its details
    and hosts change, and no second invitation is sent. With method "clone" everything
    (schema, rows, first admin) is one transaction; "migrate" (measured against it) cannot be,
    because django-tenants' migrate commits: a failure while migrating is repaired by running
    this again, one after it may leave the council without its defaults or invitation.
    """
    if method not in CREATE_METHODS:
        raise ValueError(f"method must be one of {CREATE_METHODS}")
    spec = spec.validated()
    started = time.perf_counter()
    connection.set_schema_to_public()
    partnership = None
    if spec.partnership_slug:
        partnership = Partnership.objects.filter(slug=spec.partnership_slug).first()
        if partnership is None:
            raise ValidationError({"partnership": f"No partnership {spec.partnership_slug!r}."})
    existing = Council.objects.filter(slug=spec.slug).first()
    _hosts_check(spec, existing)
    if existing is not None and schema_exists(existing.schema_name):
        with transaction.atomic():
            existing.name, existing.partnership = spec.name, partnership
            if spec.name_cy:  # a blank Welsh name leaves the one an admin set
                existing.name_cy = spec.name_cy
            existing.save()
            _hosts_set(existing, spec.hosts)
        clear_site_cache()
        return OnboardResult(existing, False, "", time.perf_counter() - started)

    if method == "clone":
        base_schema_prepare()  # migrating commits, so before the onboarding's transaction
    # One transaction for the clone path; django-tenants' migrate commits, so not for that one.
    with transaction.atomic() if method == "clone" else contextlib.nullcontext():
        council = council_create(
            name=spec.name,
            slug=spec.slug,
            partnership=partnership,
            method=method,
            name_cy=spec.name_cy,
        )
        _hosts_set(council, spec.hosts)
        result = _council_fill(council, spec, invite=invite)
    connection.set_schema_to_public()
    clear_site_cache()  # this process may have cached "no such host" for its hosts
    result.method = method
    result.seconds = time.perf_counter() - started
    return result


def _council_fill(council: Council, spec: CouncilSpec, *, invite: bool) -> OnboardResult:
    result = OnboardResult(council, True, "", 0.0)
    with schema_context(council.schema_name):
        _defaults_seed_unsafe(spec)
        if invite:
            _user, link = council_admin_invite_unsafe(
                council=council, email=spec.admin_email, host=spec.hosts[0], name=spec.admin_name
            )
            result.admin_email, result.set_password_link = spec.admin_email, link
    connection.set_schema_to_public()
    return result


# --- many councils from a CSV ----------------------------------------------------------

CSV_COLUMNS = (
    "name",
    "slug",
    "hosts",
    "admin_email",
    "partnership",
    "brand_colour",
    "departments",
    "admin_name",  # optional (issue 15)
    "name_cy",  # optional: the council's Welsh name (issue 15)
)


@dataclass
class CsvProblem:
    line: int
    message: str


@dataclass
class CsvPlan:
    specs: list[tuple[int, CouncilSpec]] = field(default_factory=list)
    problems: list[CsvProblem] = field(default_factory=list)


def councils_from_csv(lines: Iterable[str]) -> CsvPlan:
    """Read a CSV of councils (header row: CSV_COLUMNS; hosts and departments separated by
    ';'). Every row is checked before anything is created."""
    plan = CsvPlan()
    reader = csv.DictReader(lines)
    missing = {"name", "slug", "hosts", "admin_email"} - set(reader.fieldnames or ())
    if missing:
        plan.problems.append(CsvProblem(1, f"missing columns: {', '.join(sorted(missing))}"))
        return plan
    for row in reader:
        line = reader.line_num

        def split(value: str | None) -> tuple[str, ...]:
            return tuple(p.strip() for p in (value or "").split(";") if p.strip())

        spec = CouncilSpec(
            name=row.get("name") or "",
            slug=row.get("slug") or "",
            hosts=split(row.get("hosts")),
            admin_email=row.get("admin_email") or "",
            partnership_slug=row.get("partnership") or "",
            brand_colour=row.get("brand_colour") or DEFAULT_BRAND_COLOUR,
            departments=split(row.get("departments")) or DEFAULT_DEPARTMENTS,
            admin_name=row.get("admin_name") or "",
            name_cy=row.get("name_cy") or "",
        )
        try:
            valid = spec.validated()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                plan.problems.append(CsvProblem(line, f"{name}: {' '.join(messages)}"))
            continue
        for earlier_line, earlier in plan.specs:
            if earlier.slug == valid.slug:
                plan.problems.append(
                    CsvProblem(line, f"slug: {valid.slug} is also on line {earlier_line}.")
                )
            if shared := set(earlier.hosts) & set(valid.hosts):
                plan.problems.append(
                    CsvProblem(
                        line, f"hosts: {', '.join(sorted(shared))} also on line {earlier_line}."
                    )
                )
        plan.specs.append((line, valid))
    return plan


def councils_onboard(
    specs: Iterable[CouncilSpec], *, method: str = "clone"
) -> Iterator[OnboardResult]:
    """Onboard one council after another, yielding each result as it is done (for progress)."""
    for spec in specs:
        yield council_onboard(spec, method=method)
