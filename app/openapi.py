"""The committed openapi.yaml is rendered from the app by this function (and a test compares the two)."""

import yaml

from app.main import create_app
from app.settings import Settings


def render() -> str:
    app = create_app(Settings(database_url="postgresql://unused/unused"), database_url="postgresql://unused/unused")
    rendered: str = yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True, width=120)
    return rendered
