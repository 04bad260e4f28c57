"""The composition root: builds the Litestar app from settings. Nothing imports this module."""

from __future__ import annotations

from pathlib import Path

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.problem_details import ProblemDetailsPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from events.controllers import EventController, OrganizerEventListController
from podium.auth.controllers import AuthController, UserController
from podium.auth.middleware import SESSION_MAKER_STATE_KEY, TokenAuthenticationMiddleware
from podium.cli import PodiumCLIPlugin
from podium.db import sqlalchemy_config
from podium.errors import EXCEPTION_HANDLERS
from podium.health import app_version, health
from podium.settings import Settings

HERE = Path(__file__).parent
CSRF_COOKIE = "podium_csrf"


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; ``settings`` default to the environment, read now and not at import time."""
    settings = settings or Settings.from_env()
    db_config = sqlalchemy_config(settings)
    return Litestar(
        route_handlers=[
            health,
            AuthController,
            UserController,
            EventController,
            OrganizerEventListController,
            create_static_files_router(path="/static", directories=[HERE / "static"], include_in_schema=False),
        ],
        plugins=[SQLAlchemyPlugin(config=db_config), ProblemDetailsPlugin(), PodiumCLIPlugin()],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            DefineMiddleware(
                TokenAuthenticationMiddleware,
                exclude=["^/static/", "^/schema", "^/health$"],
            )
        ],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=CSRF_COOKIE,
            cookie_secure=settings.secure_cookies,
            cookie_samesite="strict",
            # The JSON API authenticates with bearer tokens or a SameSite=Lax cookie, which a cross-site
            # form cannot send; pages (HTML forms) carry a CSRF token.
            exclude=["^/api/", "^/health$", "^/schema", "^/static/"],
        ),
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(
            title="Podium API",
            version=app_version(),
            description="Registration, payment, program, iCal and check-in for scientific meetings.",
            path="/schema",
            # Swagger UI from our own static files (npm's swagger-ui-dist), never a CDN.
            render_plugins=[
                SwaggerRenderPlugin(
                    path="/",
                    js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
                    css_url="/static/vendor/swagger-ui/swagger-ui.css",
                    standalone_preset_js_url="/static/vendor/swagger-ui/swagger-ui-standalone-preset.js",
                )
            ],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http", scheme="bearer", description="token from POST /api/auth/login"
                    ),
                }
            ),
        ),
        state=State({"settings": settings, SESSION_MAKER_STATE_KEY: db_config.create_session_maker()}),
        debug=False,
    )
