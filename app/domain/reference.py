"""Reference data: the enumerations of the API with their Vietnamese labels (served by GET /api/v1/reference/…).
A change of regulation is a change of the lists these read."""

from typing import Any

from app.domain.members.catalogues import CATALOGUES
from app.domain.members.lifecycle import LABELS_VI
from app.domain.organizations.rules import ALLOWED_PARENTS, CATEGORY_LABELS, KIND_LABELS, KIND_LABELS_EN
from app.domain.positions.service import COMMUNITY_HEAD_POSTS, POSITION_LABELS, POST_LABELS
from app.domain.ratings.service import BAND_LABELS, NotRatedReason


def organizations() -> dict[str, Any]:
    """Organisation kinds (with the kinds each may sit under) and categories (loại hình)."""
    return {
        "kinds": [
            {
                "value": k.value,
                "label_vi": KIND_LABELS[k],
                "label_en": KIND_LABELS_EN[k],
                "allowed_parents": sorted((p.value if p else None for p in ALLOWED_PARENTS[k]), key=lambda v: v or ""),
            }
            for k in KIND_LABELS
        ],
        "categories": [{"value": c.value, "label_vi": label} for c, label in CATEGORY_LABELS.items()],
    }


def members() -> dict[str, Any]:
    """Catalogues of member records (ethnicities, religions, levels, statuses) and event kinds."""
    body: dict[str, Any] = {
        name: [{"value": k, "label_vi": v} for k, v in values.items()] for name, values in CATALOGUES.items()
    }
    body["event_kind"] = [{"value": k.value, "label_vi": v} for k, v in LABELS_VI.items()]
    return body


def positions() -> dict[str, Any]:
    """Party positions, public posts, rating bands and reasons for not rating."""
    return {
        "positions": [{"value": p.value, "label_vi": label} for p, label in POSITION_LABELS.items()],
        "posts": [{"value": p.value, "label_vi": label} for p, label in POST_LABELS.items()],
        "community_head_posts": sorted(p.value for p in COMMUNITY_HEAD_POSTS),
        "rating_bands": [{"value": b.value, "label_vi": label} for b, label in BAND_LABELS.items()],
        "not_rated_reasons": [r.value for r in NotRatedReason],
    }
