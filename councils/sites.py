"""What a Host header means: a council, a partnership, the public site, or nothing.

The answer is a small frozen value object, cheap to keep in process memory and safe to hand
across threads (it holds no ORM state). Both the HTTP middleware and the websocket
middleware resolve hosts through `site_for_host`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

from councils.local_cache import ExpiringCache

SiteKind = Literal["council", "partnership", "public"]
HOST_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class CouncilRef:
    id: int
    slug: str
    name: str
    schema_name: str
    partnership_id: int | None
    # The council's own hosts (Domain rows): the console and admin live only here.
    hosts: tuple[str, ...]
    partnership_host: str | None = None
    # Hostnames ("www.x.gov.uk") and full origins ("https://www.x.gov.uk") allowed to embed.
    embed_origins: tuple[str, ...] = field(default=())
    name_cy: str = ""  # the Welsh name, blank when the council has none

    def name_in(self, language: str | None) -> str:
        """What a resident reads in `language` (Council.name_in, on the snapshot)."""
        return self.name_cy if language == "cy" and self.name_cy.strip() else self.name

    def is_own_origin(self, origin: str | None) -> bool:
        """True for pages on the council's own hosts (the console), nothing else."""
        if not origin or origin == "null":
            return False
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in self.hosts

    def allows_origin(self, origin: str | None) -> bool:
        """Its own hosts, its partnership's (and fellow members') hosts, and the allow-list."""
        if not origin or origin == "null":
            return False
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        hostname = parts.hostname.lower()
        normalised = f"{parts.scheme}://{parts.netloc.lower()}"
        return (
            hostname in self.hosts
            or hostname == self.partnership_host
            or any(
                entry == normalised if "://" in entry else entry == hostname
                for entry in self.embed_origins
            )
        )


@dataclass(frozen=True)
class PartnershipRef:
    id: int
    slug: str
    name: str
    domain: str
    councils: tuple[CouncilRef, ...]

    def member(self, slug_or_id: str | int) -> CouncilRef | None:
        for council in self.councils:
            if council.slug == slug_or_id or council.id == slug_or_id:
                return council
        return None


@dataclass(frozen=True)
class Site:
    kind: SiteKind
    host: str
    council: CouncilRef | None = None
    partnership: PartnershipRef | None = None

    def council_for_token(self, council_id: int) -> CouncilRef | None:
        """The council a visitor token may act for on this host, or None.

        On a council host only that council; on a partnership host any member, because the
        signed token (never the Host header alone) says which council owns the chat.
        """
        if self.council is not None:
            return self.council if self.council.id == council_id else None
        if self.partnership is not None:
            return self.partnership.member(council_id)
        return None


def hostname_of(host_header: str) -> str:
    """`Dorset.Localhost:8000` -> `dorset.localhost` (IPv6 literals keep their brackets)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


_sites: ExpiringCache[str, Site | None] = ExpiringCache(HOST_CACHE_SECONDS)


def clear_site_cache() -> None:
    _sites.clear()


def site_for_host(host_header: str) -> Site | None:
    """Resolve a Host header, caching answers for a few seconds per process.

    Precondition: may run any ORM query, so call it from sync code (it switches the
    connection to the public schema for the lookup and leaves it there).
    """
    return _sites.get_or_load(hostname_of(host_header), _load_site)


def site_for_host_fresh(host_header: str) -> Site | None:
    """`site_for_host`, always read from the database (and cached for next time)."""
    return _sites.reload(hostname_of(host_header), _load_site)


def site_for_host_if_cached(host_header: str) -> tuple[bool, Site | None]:
    """(True, answer) when this process has a fresh answer for the host, else (False, None).

    Never touches the database, so async code can call it directly and hop to the ORM
    thread (`site_for_host`) only on a miss.
    """
    return _sites.peek(hostname_of(host_header))


def site_for_host_refresh_due(host_header: str) -> bool:
    """Whether this process's answer for the host should be reloaded soon (see
    `ExpiringCache.due_for_refresh`)."""
    return _sites.due_for_refresh(hostname_of(host_header))


def _load_site(hostname: str) -> Site | None:
    from councils.models import Council, Domain, Partnership

    connection.set_schema_to_public()
    if hostname in settings.PUBLIC_HOSTS:
        return Site(kind="public", host=hostname)
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    if domain is not None:
        return Site(kind="council", host=hostname, council=council_ref(domain.tenant))
    partnership = Partnership.objects.filter(domain=hostname).first()
    if partnership is not None:
        members = Council.objects.filter(partnership=partnership).order_by("name")
        return Site(
            kind="partnership",
            host=hostname,
            partnership=PartnershipRef(
                id=partnership.id,
                slug=partnership.slug,
                name=partnership.name,
                domain=partnership.domain,
                councils=tuple(council_ref(c) for c in members),
            ),
        )
    return None


def council_ref(council) -> CouncilRef:
    """A detached snapshot of a Council row (public schema) with everything a request needs."""
    hosts = tuple(d.domain for d in council.domains.all())
    entries = [
        line.strip().lower().rstrip("/")
        for line in council.allowed_origins.splitlines()
        if line.strip()
    ]
    if council.partnership_id:
        # Fellow members' pages may carry a chat that was transferred here.
        from councils.models import Domain

        entries += Domain.objects.filter(tenant__partnership_id=council.partnership_id).values_list(
            "domain", flat=True
        )
    return CouncilRef(
        id=council.id,
        slug=council.slug,
        name=council.name,
        schema_name=council.schema_name,
        partnership_id=council.partnership_id,
        hosts=hosts,
        partnership_host=council.partnership.domain if council.partnership_id else None,
        embed_origins=tuple(entries),
        name_cy=council.name_cy,
    )


def council_ref_by_id(council_id: int) -> CouncilRef | None:
    """Precondition: the connection is on the public schema."""
    from councils.models import Council

    council = Council.objects.select_related("partnership").filter(pk=council_id).first()
    return council_ref(council) if council else None


def council_ref_by_slug(slug: str) -> CouncilRef | None:
    """Precondition: the connection is on the public schema."""
    from councils.models import Council

    council = Council.objects.select_related("partnership").filter(slug=slug).first()
    return council_ref(council) if council else None
