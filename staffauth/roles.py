"""Roles from an identity provider's group or role claim (no database, no imports of ours)."""

from __future__ import annotations

COUNCIL_ADMINS = "Council admins"  # councils.onboarding.COUNCIL_ADMINS
OPERATORS = "Operators"  # councils.onboarding.OPERATORS
ROLES = (COUNCIL_ADMINS, OPERATORS)


def parse_role_mapping(text: str) -> dict[str, str]:
    """`value = role` lines to {value: role}; raises ValueError naming the bad line."""
    mapping: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        value, sep, role = line.rpartition("=")
        value, role = value.strip(), role.strip()
        if not sep or not value or role not in ROLES:
            raise ValueError(
                f'Line {number}: write "<group or role> = Council admins" or "... = Operators".'
            )
        mapping[value] = role
    return mapping


def roles_from_claims(claims: dict, claim_name: str, mapping: dict[str, str]) -> set[str]:
    """The roles the claim's values map to (a claim may be a list or one string)."""
    values = claims.get(claim_name) or []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return set()
    return {mapping[v] for v in values if isinstance(v, str) and v in mapping}
