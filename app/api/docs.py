"""Swagger UI (/docs) and ReDoc (/redoc) from assets this service serves itself.

FastAPI's own pages load swagger-ui and redoc from a CDN, and Party networks are closed: there the pages stay blank.
The `fastapi-offline` package ships the built files (swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js and
FastAPI's favicon); only its static folder is used here, not its app factory, so the app is built as before. The
pages are FastAPI's own (get_swagger_ui_html, get_redoc_html) with local URLs, and a Content-Security-Policy keeps
the bundles themselves from reaching out (ReDoc's footer loads its logo from cdn.redoc.ly): no request leaves the
server."""

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
STATIC_URL = "/docs/static"
# Keys entered under "Authorize" survive a reload of the page (people test with one key for a whole session).
SWAGGER_DEFAULTS = {"persistAuthorization": True}
# Same origin only. Inline script: Swagger UI's start-up script is part of FastAPI's page; inline style: both UIs
# style elements from their scripts; data: images and fonts: Swagger UI's icons; blob: workers: ReDoc's search.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'self'"
)


def install(app: FastAPI) -> None:
    """Serve the assets and the two pages; call on an app made with `docs_url=None, redoc_url=None`."""
    openapi_url = app.openapi_url
    if openapi_url is None:  # no document, nothing to show (FastAPI skips its pages the same way)
        return
    # `packages=` finds the folder through the import system without importing the module (it has no type hints),
    # and fails at startup, not on the first page view, if the package is missing.
    app.mount(STATIC_URL, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-static")

    # Behind a proxy that strips a prefix, every URL in the pages needs it back (as FastAPI does with root_path).
    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def confined(page: HTMLResponse) -> HTMLResponse:
        page.headers["Content-Security-Policy"] = CSP
        return page

    async def swagger_ui(request: Request) -> HTMLResponse:
        prefix = root(request)
        redirect = app.swagger_ui_oauth2_redirect_url
        return confined(
            get_swagger_ui_html(
                openapi_url=prefix + openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{prefix}{STATIC_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{prefix}{STATIC_URL}/swagger-ui.css",
                swagger_favicon_url=f"{prefix}{STATIC_URL}/favicon.png",
                oauth2_redirect_url=prefix + redirect if redirect else None,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters={**SWAGGER_DEFAULTS, **(app.swagger_ui_parameters or {})},
            )
        )

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        prefix = root(request)
        return confined(
            get_redoc_html(
                openapi_url=prefix + openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{prefix}{STATIC_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{prefix}{STATIC_URL}/favicon.png",
                with_google_fonts=False,  # fonts.googleapis.com is outside too; ReDoc falls back to local fonts
            )
        )

    # Plain routes, as FastAPI registers its own pages: they are not operations of the API.
    app.add_route(DOCS_URL, swagger_ui, methods=["GET"], include_in_schema=False)
    if app.swagger_ui_oauth2_redirect_url:
        app.add_route(app.swagger_ui_oauth2_redirect_url, swagger_ui_redirect, methods=["GET"], include_in_schema=False)
    app.add_route(REDOC_URL, redoc, methods=["GET"], include_in_schema=False)
