"""Reference data: the enumerations of the API with their Vietnamese labels."""

from typing import Any

from app.api.auth import api_router
from app.api.members.models import MemberReference
from app.api.organizations.models import OrganizationReference
from app.api.positions.models import PositionReference
from app.domain import reference

router = api_router("/api/v1/reference", "reference")


@router.get("/organizations", response_model=OrganizationReference)
async def get_organization_reference() -> dict[str, Any]:
    """Organisation kinds (with the kinds each may sit under) and categories (loại hình), with labels."""
    return reference.organizations()


@router.get("/members", response_model=MemberReference)
async def get_member_reference() -> dict[str, Any]:
    """Catalogues of member records (ethnicities, religions, levels, statuses) and event kinds, with labels."""
    return reference.members()


@router.get("/positions", response_model=PositionReference)
async def get_position_reference() -> dict[str, Any]:
    """Party positions, public posts, rating bands and reasons for not rating, with Vietnamese labels."""
    return reference.positions()
