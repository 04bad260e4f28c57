"""HTTP for the catalog: organizers build it (categories, add-ons, capacities, promo codes, questions,
settings, cancellation fees); anyone reads the published catalog with today's prices and seats left. A change
is committed here, by the request that made it."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from podium.auth.guards import requires_organizer
from podium.errors import problem_responses
from podium.i18n import current_locale
from podium.translated import content_headers
from registration import catalog
from registration.catalog import cancellation_fees
from registration.catalog import schemas as s
from registration.schemas import CancellationPolicy

ERRORS = problem_responses(401, 403, 404, 409, 422)
BEARER: list[SecurityRequirement] = [{"bearer": []}]


class CatalogController(Controller):
    path = "/api/events/{event:str}/catalog"
    tags = ["catalog"]

    @get("/", operation_id="getCatalog", security=[], responses=problem_responses(404))
    async def read(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> Response[s.CatalogRead]:
        """Categories at today's price (in the event's time zone), add-ons, seats left, questions; names in the
        reader's language where the organizer gave them (``Content-Language``)."""
        locale = current_locale()
        read = await catalog.public_catalog(db_session, event, locale=locale)
        return Response(read, headers=content_headers(locale))


class CategoryController(Controller):
    path = "/api/events/{event:str}/categories"
    tags = ["catalog: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="listCategories", responses=ERRORS)
    async def list_(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> list[s.CategoryRead]:
        return await catalog.list_categories(db_session, event)

    @post("/", operation_id="createCategory", responses=ERRORS)
    async def create(
        self, event: FromPath[str], data: JSONBody[s.CategoryCreate], db_session: NamedDependency[AsyncSession]
    ) -> s.CategoryRead:
        """A registration category with its price windows (early-bird → regular → on-site) and, optionally,
        its own capacity."""
        result = await catalog.create_category(db_session, event, data)
        await db_session.commit()
        return result

    @patch("/{category_id:uuid}", operation_id="updateCategory", responses=ERRORS)
    async def update(
        self,
        event: FromPath[str],
        category_id: FromPath[UUID],
        data: JSONBody[s.CategoryUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> s.CategoryRead:
        result = await catalog.update_category(db_session, event, category_id, data)
        await db_session.commit()
        return result

    @delete("/{category_id:uuid}", operation_id="deleteCategory", status_code=HTTP_204_NO_CONTENT, responses=ERRORS)
    async def remove(
        self, event: FromPath[str], category_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await catalog.delete_category(db_session, event, category_id)
        await db_session.commit()


class AddOnController(Controller):
    path = "/api/events/{event:str}/add-ons"
    tags = ["catalog: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="listAddOns", responses=ERRORS)
    async def list_(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> list[s.AddOnRead]:
        return await catalog.list_add_ons(db_session, event)

    @post("/", operation_id="createAddOn", responses=ERRORS)
    async def create(
        self, event: FromPath[str], data: JSONBody[s.AddOnCreate], db_session: NamedDependency[AsyncSession]
    ) -> s.AddOnRead:
        """A workshop, training or reception, who may buy it, and how many seats it has."""
        result = await catalog.create_add_on(db_session, event, data)
        await db_session.commit()
        return result

    @patch("/{add_on_id:uuid}", operation_id="updateAddOn", responses=ERRORS)
    async def update(
        self,
        event: FromPath[str],
        add_on_id: FromPath[UUID],
        data: JSONBody[s.AddOnUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> s.AddOnRead:
        result = await catalog.update_add_on(db_session, event, add_on_id, data)
        await db_session.commit()
        return result

    @delete("/{add_on_id:uuid}", operation_id="deleteAddOn", status_code=HTTP_204_NO_CONTENT, responses=ERRORS)
    async def remove(
        self, event: FromPath[str], add_on_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await catalog.delete_add_on(db_session, event, add_on_id)
        await db_session.commit()


class QuotaController(Controller):
    path = "/api/events/{event:str}/quotas"
    tags = ["catalog: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="listQuotas", responses=ERRORS)
    async def list_(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> list[s.QuotaRead]:
        """Every capacity of the event (own, shared and event-wide) with seats used and left."""
        return await catalog.list_quotas(db_session, event)

    @post("/", operation_id="createQuota", responses=ERRORS)
    async def create(
        self, event: FromPath[str], data: JSONBody[s.QuotaCreate], db_session: NamedDependency[AsyncSession]
    ) -> s.QuotaRead:
        result = await catalog.create_quota(db_session, event, data)
        await db_session.commit()
        return result

    @patch("/{quota_id:uuid}", operation_id="updateQuota", responses=ERRORS)
    async def update(
        self,
        event: FromPath[str],
        quota_id: FromPath[UUID],
        data: JSONBody[s.QuotaUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> s.QuotaRead:
        result = await catalog.update_quota(db_session, event, quota_id, data)
        await db_session.commit()
        return result

    @delete("/{quota_id:uuid}", operation_id="deleteQuota", status_code=HTTP_204_NO_CONTENT, responses=ERRORS)
    async def remove(
        self, event: FromPath[str], quota_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await catalog.delete_quota(db_session, event, quota_id)
        await db_session.commit()


class PromoCodeController(Controller):
    path = "/api/events/{event:str}/promo-codes"
    tags = ["catalog: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="listPromoCodes", responses=ERRORS)
    async def list_(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> list[s.PromoCodeRead]:
        return await catalog.list_promo_codes(db_session, event)

    @post("/", operation_id="createPromoCode", responses=ERRORS)
    async def create(
        self, event: FromPath[str], data: JSONBody[s.PromoCodeCreate], db_session: NamedDependency[AsyncSession]
    ) -> s.PromoCodeRead:
        """Percent (100 = comp) or fixed off, optionally only for some items, uses and dates."""
        result = await catalog.create_promo_code(db_session, event, data)
        await db_session.commit()
        return result

    @patch("/{promo_code_id:uuid}", operation_id="updatePromoCode", responses=ERRORS)
    async def update(
        self,
        event: FromPath[str],
        promo_code_id: FromPath[UUID],
        data: JSONBody[s.PromoCodeUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> s.PromoCodeRead:
        result = await catalog.update_promo_code(db_session, event, promo_code_id, data)
        await db_session.commit()
        return result

    @delete("/{promo_code_id:uuid}", operation_id="deletePromoCode", status_code=HTTP_204_NO_CONTENT, responses=ERRORS)
    async def remove(
        self, event: FromPath[str], promo_code_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await catalog.delete_promo_code(db_session, event, promo_code_id)
        await db_session.commit()


class QuestionController(Controller):
    path = "/api/events/{event:str}/questions"
    tags = ["catalog: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="listQuestions", responses=ERRORS)
    async def list_(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> list[s.QuestionRead]:
        return await catalog.list_questions(db_session, event)

    @post("/", operation_id="createQuestion", responses=ERRORS)
    async def create(
        self, event: FromPath[str], data: JSONBody[s.QuestionCreate], db_session: NamedDependency[AsyncSession]
    ) -> s.QuestionRead:
        """A registration question (dietary needs, accessibility, anything custom)."""
        result = await catalog.create_question(db_session, event, data)
        await db_session.commit()
        return result

    @patch("/{question_id:uuid}", operation_id="updateQuestion", responses=ERRORS)
    async def update(
        self,
        event: FromPath[str],
        question_id: FromPath[UUID],
        data: JSONBody[s.QuestionUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> s.QuestionRead:
        result = await catalog.update_question(db_session, event, question_id, data)
        await db_session.commit()
        return result

    @delete("/{question_id:uuid}", operation_id="deleteQuestion", status_code=HTTP_204_NO_CONTENT, responses=ERRORS)
    async def remove(
        self, event: FromPath[str], question_id: FromPath[UUID], db_session: NamedDependency[AsyncSession]
    ) -> None:
        await catalog.delete_question(db_session, event, question_id)
        await db_session.commit()


class RegistrationSettingsController(Controller):
    path = "/api/events/{event:str}/registration-settings"
    tags = ["catalog: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="getRegistrationSettings", responses=ERRORS)
    async def read(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> s.RegistrationSettingsRead:
        return await catalog.get_settings(db_session, event)

    @put("/", operation_id="updateRegistrationSettings", responses=ERRORS)
    async def update(
        self,
        event: FromPath[str],
        data: JSONBody[s.RegistrationSettingsUpdate],
        db_session: NamedDependency[AsyncSession],
    ) -> s.RegistrationSettingsRead:
        """Hold time and the equitable-access discounts (percent off the fee by World Bank income group)."""
        result = await catalog.update_settings(db_session, event, data)
        await db_session.commit()
        return result


class CancellationPolicyController(Controller):
    path = "/api/events/{event:str}/cancellation-fees"
    tags = ["catalog: organizer"]
    guards = [requires_organizer]
    security = BEARER

    @get("/", operation_id="getCancellationFees", responses=problem_responses(401, 403, 404))
    async def read(self, event: FromPath[str], db_session: NamedDependency[AsyncSession]) -> CancellationPolicy:
        return await cancellation_fees.get_policy(db_session, event)

    @put("/", operation_id="setCancellationFees", responses=problem_responses(401, 403, 404, 422))
    async def replace(
        self, event: FromPath[str], data: JSONBody[CancellationPolicy], db_session: NamedDependency[AsyncSession]
    ) -> CancellationPolicy:
        """Replace the schedule, e.g. 10 % fee until A, 50 % until B, no refund after."""
        result = await cancellation_fees.set_policy(db_session, event, data)
        await db_session.commit()
        return result


CATALOG_CONTROLLERS = [
    CatalogController,
    CategoryController,
    AddOnController,
    QuotaController,
    PromoCodeController,
    QuestionController,
    RegistrationSettingsController,
    CancellationPolicyController,
]
