"""The demo's council web pages: which departments they belong to and what they say."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoDepartment:
    slug: str
    name: str
    pages: tuple[tuple[str, str, str], ...]  # (title, path, blurb)
    # Shown in the Welsh widget and in Welsh system lines (for a Welsh speaker's review:
    # docs/widget.md, "Welsh language").
    name_cy: str = ""


DEMO_DEPARTMENTS = (
    DemoDepartment(
        "parking",
        "Parking",
        (
            (
                "View or challenge a PCN",
                "/parking/view-or-challenge-a-pcn",
                "See the photos of your Penalty Charge Notice and challenge it if you think "
                "it was issued wrongly.",
            ),
            (
                "Pay a parking fine",
                "/parking/pay-a-parking-fine",
                "Pay a Penalty Charge Notice online. The charge is reduced by half if you pay "
                "within 14 days.",
            ),
        ),
        "Parcio",
    ),
    DemoDepartment(
        "highways",
        "Highways",
        (
            (
                "Highway Area Offices",
                "/highways/highway-area-offices",
                "Find your local highway area office for potholes, road works and gritting.",
            ),
        ),
        "Priffyrdd",
    ),
    DemoDepartment("general", "General enquiries", (), "Ymholiadau cyffredinol"),
)


def demo_page(path: str) -> tuple[DemoDepartment, str, str] | None:
    for department in DEMO_DEPARTMENTS:
        for title, page_path, blurb in department.pages:
            if page_path == path:
                return department, title, blurb
    return None
