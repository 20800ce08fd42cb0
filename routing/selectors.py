"""Reads of a council's departments. Call inside the council's schema."""

from dataclasses import dataclass

from routing.models import Department, ServicePage


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class PageInfo:
    title: str
    path: str
    department_slug: str
    department_name: str


def department_list() -> list[DepartmentInfo]:
    return [DepartmentInfo(d.id, d.slug, d.name) for d in Department.objects.all()]


def department_by_slug(slug: str) -> Department | None:
    return Department.objects.filter(slug=slug).first()


def service_page_list() -> list[PageInfo]:
    return [
        PageInfo(p.title, p.path, p.department.slug, p.department.name)
        for p in ServicePage.objects.select_related("department")
    ]


def service_page_for_path(path: str) -> PageInfo | None:
    page = ServicePage.objects.select_related("department").filter(path=path).first()
    if page is None:
        return None
    return PageInfo(page.title, page.path, page.department.slug, page.department.name)


def department_for_chat(
    *, slug: str, page_url: str, strict: bool = True
) -> tuple[Department | None, str | None]:
    """The department a new chat goes to, or an error for an unknown slug when `strict`.

    An explicit choice on the pre-chat form wins; otherwise the page the chat started on
    decides when it is one of the council's service pages; otherwise no department.
    """
    if slug:
        department = department_by_slug(slug)
        if department is not None:
            return department, None
        if strict:
            return None, "Choose one of the listed departments."
    if page_url:
        from urllib.parse import urlsplit

        page = (
            ServicePage.objects.select_related("department")
            .filter(path=urlsplit(page_url).path.rstrip("/") or "/")
            .first()
        )
        if page is not None:
            return page.department, None
    return None, None
