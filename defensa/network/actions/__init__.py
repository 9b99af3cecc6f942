"""Every write to the committee network. Each action is atomic and leaves one audit event.

Actions trust that the caller loaded their objects through `network.access` (which checked the
viewer's right to act); they enforce the domain's own rules and raise `ActionRefused` with a
clear reason, writing nothing, when a rule says no.
"""

from __future__ import annotations

from defensa.network.actions._shared import has_coordinator, is_qualified
from defensa.network.actions.invitations import (
    INVITABLE_ROLES,
    TOKEN_ALPHABET,
    TOKEN_LENGTH,
    accept_invitation,
    find_invitation,
    format_token,
    invite_first_coordinator,
    issue_invitation,
    normalize_token,
    revoke_invitation,
    revoke_invitations_issued_by,
)
from defensa.network.actions.members import (
    add_membership,
    create_person,
    end_membership,
    grant_role,
    record_sign_in_change,
    revoke_role,
    sign_out_everywhere,
)
from defensa.network.actions.profiles import (
    CONTACT_KINDS,
    clean_languages,
    shred_committee_profiles,
    update_profile,
)
from defensa.network.actions.qualifications import grant_qualification, revoke_qualification
from defensa.network.actions.tree import (
    add_area_unit,
    create_committee,
    create_network,
    create_region,
    create_zone,
    normalize_area_value,
    remove_area_unit,
)

__all__ = [
    "CONTACT_KINDS",
    "INVITABLE_ROLES",
    "TOKEN_ALPHABET",
    "TOKEN_LENGTH",
    "accept_invitation",
    "add_area_unit",
    "add_membership",
    "clean_languages",
    "create_committee",
    "create_network",
    "create_person",
    "create_region",
    "create_zone",
    "end_membership",
    "find_invitation",
    "format_token",
    "grant_qualification",
    "grant_role",
    "has_coordinator",
    "invite_first_coordinator",
    "is_qualified",
    "issue_invitation",
    "normalize_area_value",
    "normalize_token",
    "record_sign_in_change",
    "remove_area_unit",
    "revoke_invitation",
    "revoke_invitations_issued_by",
    "revoke_qualification",
    "revoke_role",
    "shred_committee_profiles",
    "sign_out_everywhere",
    "update_profile",
]
