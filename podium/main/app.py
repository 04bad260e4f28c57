"""The composition root: builds the Litestar app from settings. Nothing imports this module."""

from __future__ import annotations

import functools
from pathlib import Path

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.problem_details import ProblemDetailsPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler, Middleware

from abstracts import book_jobs, review_tasks
from abstracts.call_controllers import CallController, OpenCallController
from abstracts.call_pages import OrganizerCallPages
from abstracts.controllers import AbstractController, EventAbstractController
from abstracts.decision_controllers import DECISION_CONTROLLERS
from abstracts.public_pages import PublicAbstractController, PublicAbstractPages
from abstracts.review_console import OrganizerReviewPages
from abstracts.review_controllers import REVIEW_CONTROLLERS
from abstracts.review_pages import ReviewerPages
from abstracts.schedule_pages import ScheduleAbstractsPages
from abstracts.scheduling_controllers import AbstractExportController, SchedulingController
from abstracts.submission_pages import SubmitterPages
from badges.controllers import BADGE_CONTROLLERS
from badges.dashboard_controllers import CheckinDashboardController, CheckinDashboardPages
from badges.scanner_pages import ScannerPages
from badges.staff_pages import StaffPages
from events.controllers import EventController, OrganizerEventListController
from events.pages import OrganizerEventPages
from events.public_pages import EventPages
from podium import i18n
from podium.access_log import install_access_log_filter
from podium.api_docs import SwaggerPage
from podium.auth.account_controllers import AccountController, UserAccountController
from podium.auth.account_pages import AccountPages, OrganizerUserPages
from podium.auth.controllers import AuthController, UserController
from podium.auth.lockout import MAIL_STATE_KEY
from podium.auth.middleware import SESSION_MAKER_STATE_KEY, TokenAuthenticationMiddleware
from podium.auth.pages import LoginPages
from podium.auth.sign_in_controllers import SignInController
from podium.auth.sign_in_pages import SignInPages
from podium.auth.unlock_pages import AccountUnlockPages
from podium.csrf import CrossSiteGuard, csrf_config
from podium.db import WriteIntentMiddleware, sqlalchemy_config, warm_pool
from podium.errors import EXCEPTION_HANDLERS
from podium.favicon import favicon
from podium.formatting import register_filters
from podium.health import app_version, health
from podium.heap import freeze_startup_heap
from podium.input_guards import PodiumRequest, RefuseNulInQuery
from podium.jobs.controllers import JobController, OrganizerJobPages
from podium.jobs.web import STATE_KEY as JOBS_STATE_KEY
from podium.jobs.web import WebJobs
from podium.locale_choice import LocaleMiddleware, choose_language
from podium.log_config import logging_config
from podium.main.cli import PodiumCLIPlugin
from podium.main.mail_wiring import install_mail
from podium.main.unit_of_work import install_domain_hooks, session_maker
from podium.metrics import MetricsSetup, metrics_setup
from podium.openapi import ClosedStructSchemaPlugin
from podium.outbox import enqueue
from podium.pdf_fonts import report_missing_fonts
from podium.reader_zone import ReaderZoneMiddleware, choose_zone, current_reader_zone
from podium.refusals import AnswerRefusals
from podium.request_id import RequestIdMiddleware
from podium.security_headers import security_headers
from podium.settings import Settings
from registration import tasks as registration_tasks
from registration.admin.controllers import RegistrationAdminController
from registration.admin.pages import OrganizerRegistrationPages
from registration.audit.controllers import AuditController
from registration.audit.pages import OrganizerAuditPages
from registration.bank.controllers import BankTransferController, BankTransferSettingsController
from registration.bank.pages import OrganizerBankPages
from registration.bank.settings_pages import OrganizerBankSettingsPages
from registration.catalog.controllers import CATALOG_CONTROLLERS
from registration.catalog.pages import OrganizerCatalogPages
from registration.controllers import (
    OrderChangeController,
    OrderController,
    OrderPlacementController,
    StripeWebhookController,
)
from registration.documents.controllers import EventDocumentController, OrderDocumentController
from registration.letters import jobs as letter_jobs
from registration.letters.controllers import AttendeeLetterController, OrganizerLetterController
from registration.letters.organizer_pages import OrganizerLetterPages
from registration.letters.pages import LetterPages
from registration.mail.controllers import MailTemplateController, OrganizerMailPages
from registration.mail.relink_controllers import LinkController, LinkPages, OrganizerLinkPages
from registration.order_pages import OrderPages
from registration.pages import RegistrationPages
from registration.payments.stripe import close_shared_clients
from registration.statements.controllers import BankStatementController, BankStatementReviewController
from registration.statements.group_controllers import GroupInvoiceController
from registration.statements.pages import OrganizerStatementPages
from registration.verification.controllers import VerificationDocumentController, VerificationUploadController
from registration.waitlist.controllers import WaitlistEntryController, WaitlistJoinController
from registration.waitlist.pages import WaitlistPages
from sessions.agenda_controllers import AgendaController
from sessions.agenda_pages import AgendaPages
from sessions.controllers import PROGRAM_CONTROLLERS
from sessions.feed_controllers import AgendaFeedController, ProgramFeedController
from sessions.pages import OrganizerProgramPages
from sessions.program_pages import ProgramPages
from sessions.speaker_pages import OrganizerSpeakerPages

# Static files and templates belong to the kernel package (podium/), one level up from this composition root.
HERE = Path(__file__).resolve().parent.parent
JSON_BODY_LIMIT = 1024 * 1024
# Modules whose ``@job`` decorators register the background jobs (podium.jobs); a new tasks module goes here.
JOB_MODULES = (registration_tasks, letter_jobs, review_tasks, book_jobs)


# Every controller and page, in the order routes are listed (the app adds its static files, favicon and metrics).
ROUTE_HANDLERS: tuple[ControllerRouterHandler, ...] = (
    health,
    JobController,
    OrganizerJobPages,
    AuthController,
    SignInController,
    UserController,
    AccountController,
    UserAccountController,
    AccountPages,
    OrganizerUserPages,
    LinkController,
    LinkPages,
    OrganizerLinkPages,
    EventController,
    OrderPlacementController,
    OrderController,
    OrderChangeController,
    StripeWebhookController,
    OrderDocumentController,
    EventDocumentController,
    RegistrationAdminController,
    AuditController,
    MailTemplateController,
    WaitlistJoinController,
    WaitlistEntryController,
    *CATALOG_CONTROLLERS,
    *PROGRAM_CONTROLLERS,
    ProgramFeedController,
    AgendaFeedController,
    AgendaController,
    CheckinDashboardController,
    CheckinDashboardPages,
    ScannerPages,
    StaffPages,
    *BADGE_CONTROLLERS,
    *DECISION_CONTROLLERS,
    *REVIEW_CONTROLLERS,
    SchedulingController,
    AbstractExportController,
    PublicAbstractController,
    PublicAbstractPages,
    AgendaPages,
    OrganizerRegistrationPages,
    OrganizerAuditPages,
    OrganizerCatalogPages,
    OrganizerMailPages,
    VerificationUploadController,
    VerificationDocumentController,
    AttendeeLetterController,
    OrganizerLetterController,
    BankTransferSettingsController,
    BankTransferController,
    OrganizerBankPages,
    OrganizerBankSettingsPages,
    LetterPages,
    OrganizerLetterPages,
    BankStatementController,
    BankStatementReviewController,
    GroupInvoiceController,
    OrganizerStatementPages,
    OrganizerEventListController,
    LoginPages,
    SignInPages,
    AccountUnlockPages,
    EventPages,
    OrganizerEventPages,
    RegistrationPages,
    OrderPages,
    WaitlistPages,
    ProgramPages,
    OrganizerProgramPages,
    OrganizerSpeakerPages,
    CallController,
    OpenCallController,
    EventAbstractController,
    AbstractController,
    OrganizerReviewPages,
    ReviewerPages,
    OrganizerCallPages,
    ScheduleAbstractsPages,
    SubmitterPages,
)


def _template_filters(engine: JinjaTemplateEngine) -> None:
    """``{{ amount | money(currency) }}``, ``{{ day | date }}``, ``{{ instant | datetime(zone) }}`` …: one formatter
    for pages and mails (podium/formatting.py). Templates are read once: they ship with the code, so a change comes
    with a restart, and no page pays Jinja's file checks (three ``stat`` calls a render)."""
    register_filters(engine.engine.filters)
    i18n.install(engine.engine)  # gettext reads the request's locale (``podium.locale_choice``)
    engine.engine.globals["locale_names"] = i18n.LOCALE_NAMES
    engine.engine.globals["current_reader_zone"] = current_reader_zone  # ``podium.reader_zone``
    engine.engine.auto_reload = False


def _openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Podium API",
        version=app_version(),
        description=(
            "Registration, payment, program, iCal and check-in for scientific meetings. "
            "No string may contain a NUL character (U+0000): such a request is refused with 422 naming the field."
        ),
        path="/schema",
        # Swagger UI from our own static files (npm's swagger-ui-dist), never a CDN.
        render_plugins=[SwaggerPage()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", description="token from POST /api/auth/login"),
            }
        ),
    )


def _middleware(settings: Settings, metrics: MetricsSetup) -> list[Middleware]:
    """Outermost first: the request id and metrics see every answer, refusals included."""
    return [
        RequestIdMiddleware(),
        LocaleMiddleware(),  # before anything answers, so refusals and error pages speak the visitor's language
        ReaderZoneMiddleware(),  # the reader's own clock beside the event's (pages, and orders placed for mails)
        *metrics.middleware,
        AnswerRefusals(),  # inside the two above, so they see what a later middleware's refusal answered
        WriteIntentMiddleware,
        RefuseNulInQuery(),
        CrossSiteGuard(settings),
        DefineMiddleware(
            TokenAuthenticationMiddleware,
            exclude=["^/static/", "^/schema", "^/health$", "^/favicon.ico$", "^/metrics$"],
        ),
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; ``settings`` default to the environment, read now and not at import time."""
    settings = settings or Settings.from_env()
    db_config = sqlalchemy_config(settings)  # its session maker runs the kernel's hooks (podium/db.py)
    install_domain_hooks(db_config.create_session_maker())  # as every maker the composition root builds
    jobs = WebJobs(settings, db_config.get_engine(), session_maker)
    metrics = metrics_setup(settings, db_config.get_engine())
    install_access_log_filter()
    install_mail()  # templates, "still true" checks and attachments, for the preview and the app's own jobs
    return Litestar(
        route_handlers=[
            *ROUTE_HANDLERS,
            create_static_files_router(path="/static", directories=[HERE / "static"], include_in_schema=False),
            favicon,
            choose_language,
            choose_zone,
            *metrics.route_handlers,
        ],
        plugins=[
            SQLAlchemyPlugin(config=db_config),
            ProblemDetailsPlugin(),
            PodiumCLIPlugin(),
            ClosedStructSchemaPlugin(),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=logging_config(settings),
        request_class=PodiumRequest,
        # JSON bodies are small; the upload handlers (CSV import, verification documents) set their own limits.
        request_max_body_size=JSON_BODY_LIMIT,
        middleware=_middleware(settings, metrics),
        csrf_config=csrf_config(settings),
        before_send=[security_headers(settings)],
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_template_filters
        ),
        openapi_config=_openapi_config(),
        state=State(
            {
                "settings": settings,
                SESSION_MAKER_STATE_KEY: db_config.create_session_maker(),
                MAIL_STATE_KEY: enqueue,  # the kernel's login lockout mails owners through the outbox
                JOBS_STATE_KEY: jobs,
            }
        ),
        on_startup=[
            *metrics.on_startup,
            functools.partial(warm_pool, db_config.get_engine(), settings),
            jobs.start,
            report_missing_fonts,  # a badge font package missing is said at start, not found on a badge
            functools.partial(freeze_startup_heap, settings),  # last: everything start-up built is in place
        ],
        # advanced-alchemy only disposes the engine of the first config in a process (its state keys get
        # renamed for later ones), so every app disposes its own: no connections left to the GC.
        on_shutdown=[*metrics.on_shutdown, jobs.stop, close_shared_clients, db_config.get_engine().dispose],
        debug=False,
    )
