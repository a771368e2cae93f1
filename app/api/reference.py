"""Reference data: the enumerations of the API with their Vietnamese labels."""


from app.api.auth import api_router
from app.api.organization_models import KindInfo, LabelledValue, OrganizationReference
from app.domain.organizations.rules import ALLOWED_PARENTS, CATEGORY_LABELS, KIND_LABELS, KIND_LABELS_EN

router = api_router("/api/v1/reference", "reference")


@router.get("/organizations", response_model=OrganizationReference)
async def get_organization_reference() -> OrganizationReference:
    """Organisation kinds (with the kinds each may sit under) and categories (loại hình), with labels."""
    return OrganizationReference(
        kinds=[KindInfo(value=k.value, label_vi=KIND_LABELS[k], label_en=KIND_LABELS_EN[k],
                        allowed_parents=sorted((p.value if p else None for p in ALLOWED_PARENTS[k]),
                                               key=lambda v: v or ""))
               for k in KIND_LABELS],
        categories=[LabelledValue(value=c.value, label_vi=label) for c, label in CATEGORY_LABELS.items()],
    )
