"""The organizer's catalog page: categories with their price windows, add-ons, shared capacities, promo codes
and the registration settings, each with a form that calls the same service as the catalog API. Prices are
typed in the event's currency ("450.00") and read exactly; mistakes come back next to the field."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from events.services import get_event
from podium import audit
from podium.auth.guards import requires_organizer
from podium.errors import DomainError
from podium.formatting import format_money, parse_money
from podium.forms import FormData
from podium.i18n import gettext
from podium.pages import form_errors, redirect, render
from podium.translated import form_translations, form_values
from registration import catalog
from registration.catalog import schemas as s
from registration.catalog.cancellation_fees import get_policy
from registration.documents import billing
from registration.documents.schemas import SellerIn

WINDOW_ROWS = 3  # early-bird, regular, on-site


class FormError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _codes(text: str) -> list[str]:
    return [part for part in (p.strip() for p in text.replace(";", ",").split(",")) if part]


def _amount(data: dict[str, str], field: str, currency: str) -> int:
    try:
        return parse_money(data.get(field, ""), currency)
    except ValueError:
        message = gettext("Enter a price in %(currency)s, e.g. 450.00 (0 for free)") % {"currency": currency}
        raise FormError(field, message) from None


def _optional_int(data: dict[str, str], field: str) -> int | None:
    text = data.get(field, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise FormError(field, gettext("Enter a whole number, or leave it empty"))
    return int(text)


def _errors(exc: Exception) -> dict[str, str]:
    if isinstance(exc, FormError):
        return {exc.field: str(exc)}
    errors: dict[str, str] = {}
    for key, message in form_errors(exc).items():
        # "price_windows[1].amount" → the form's "window_1_amount"
        if key.startswith("price_windows["):
            index, _, name = key.removeprefix("price_windows[").partition("].")
            key = f"window_{index}_{name or 'label'}"
        errors[key] = message
    return errors


class OrganizerCatalogPages(Controller):
    path = "/organizer/events/{slug:str}/catalog"
    include_in_schema = False
    guards = [requires_organizer]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        *,
        form: str = "",
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        notice: str | None = None,
        status_code: int = 200,
    ) -> Template:
        event = await get_event(db_session, slug)
        tz = zoneinfo.ZoneInfo(event.timezone)
        return render(
            request,
            "organizer/catalog.html",
            status_code=status_code,
            event=event,
            categories=await catalog.list_categories(db_session, slug),
            add_ons=await catalog.list_add_ons(db_session, slug),
            quotas=await catalog.list_quotas(db_session, slug),
            promo_codes=await catalog.list_promo_codes(db_session, slug),
            questions=await catalog.list_questions(db_session, slug),
            settings=await catalog.get_settings(db_session, slug),
            seller=msgspec.to_builtins(await billing.get_seller(db_session, slug)),
            policy=await get_policy(db_session, slug),
            money=lambda amount: format_money(amount, event.currency),
            local=lambda value: value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "",
            window_rows=range(WINDOW_ROWS),
            form=form,
            form_values=form_values,
            values=values or {},
            errors=errors or {},
            notice=notice,
        )

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        slug: str,
        form: str,
        data: dict[str, str],
        exc: Exception,
    ) -> Template:
        """The form again, next to its mistakes, after undoing whatever the refused change had begun."""
        await db_session.rollback()
        return await self._page(
            request, db_session, slug, form=form, values=dict(data), errors=_errors(exc), status_code=422
        )

    def _back(self, slug: str, notice: str) -> Redirect:
        return redirect(f"/organizer/events/{slug}/catalog?{urlencode({'notice': notice})}")

    @get("/")
    async def page(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        notice: FromQuery[str | None] = None,
    ) -> Template:
        return await self._page(request, db_session, slug, notice=(notice or "")[:200] or None)

    @post("/categories")
    async def add_category(
        self,
        slug: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        event = await get_event(db_session, slug, with_children=False)
        try:
            windows = []
            for index in range(WINDOW_ROWS):
                label = data.get(f"window_{index}_label", "").strip()
                starts = data.get(f"window_{index}_starts_on", "").strip()
                if not (label or starts or data.get(f"window_{index}_amount", "").strip()):
                    continue
                amount = _amount(data, f"window_{index}_amount", event.currency)
                windows.append({"label": label, "starts_on": starts, "amount": amount})
            body = {
                "code": data.get("code", "").strip(),
                "name": data.get("name", "").strip(),
                "eligibility": data.get("eligibility", "open"),
                "access_code": data.get("access_code", "").strip() or None,
                "capacity": _optional_int(data, "capacity"),
                "description": data.get("description", ""),
                "price_windows": windows,
                "translations": form_translations(data) or {},
            }
            if not windows:
                raise FormError("window_0_label", gettext("Give at least one price window (label, first day, price)"))
            created = await catalog.create_category(db_session, slug, msgspec.convert(body, s.CategoryCreate))
            await db_session.commit()
        except (FormError, msgspec.ValidationError, DomainError) as exc:
            return await self._refused(request, db_session, slug, "category", data, exc)
        return self._back(slug, gettext("Category “%(name)s” added.") % {"name": created.name})

    @post("/categories/{category_id:uuid}/active")
    async def toggle_category(
        self,
        slug: FromPath[str],
        category_id: FromPath[UUID],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Redirect:
        active = data.get("active") == "yes"
        updated = await catalog.update_category(db_session, slug, category_id, s.CategoryUpdate(is_active=active))
        await db_session.commit()
        notice = gettext("Category “%(name)s” is on sale.") if active else gettext("Category “%(name)s” is off sale.")
        return self._back(slug, notice % {"name": updated.name})

    @post("/categories/{category_id:uuid}/names")
    async def name_category(
        self,
        slug: FromPath[str],
        category_id: FromPath[UUID],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """The category's name in the other languages (left empty: the base name shows)."""
        try:
            changed = s.CategoryUpdate(translations=form_translations(data) or {})
            updated = await catalog.update_category(db_session, slug, category_id, changed)
            await db_session.commit()
        except DomainError as exc:
            return await self._refused(request, db_session, slug, f"names-{category_id}", data, exc)
        return self._back(slug, gettext("Category “%(name)s”: names saved.") % {"name": updated.name})

    @post("/add-ons/{add_on_id:uuid}/names")
    async def name_add_on(
        self,
        slug: FromPath[str],
        add_on_id: FromPath[UUID],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """The add-on's name in the other languages (left empty: the base name shows)."""
        try:
            changed = s.AddOnUpdate(translations=form_translations(data) or {})
            updated = await catalog.update_add_on(db_session, slug, add_on_id, changed)
            await db_session.commit()
        except DomainError as exc:
            return await self._refused(request, db_session, slug, f"names-{add_on_id}", data, exc)
        return self._back(slug, gettext("Add-on “%(name)s”: names saved.") % {"name": updated.name})

    @post("/add-ons")
    async def add_add_on(
        self,
        slug: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        event = await get_event(db_session, slug, with_children=False)
        try:
            body = {
                "code": data.get("code", "").strip(),
                "name": data.get("name", "").strip(),
                "amount": _amount(data, "amount", event.currency),
                "kind": data.get("kind", "other"),
                "capacity": _optional_int(data, "capacity"),
                "category_codes": _codes(data.get("category_codes", "")),
                "description": data.get("description", ""),
                "translations": form_translations(data) or {},
            }
            created = await catalog.create_add_on(db_session, slug, msgspec.convert(body, s.AddOnCreate))
            await db_session.commit()
        except (FormError, msgspec.ValidationError, DomainError) as exc:
            return await self._refused(request, db_session, slug, "add_on", data, exc)
        return self._back(slug, gettext("Add-on “%(name)s” added.") % {"name": created.name})

    @post("/add-ons/{add_on_id:uuid}/active")
    async def toggle_add_on(
        self,
        slug: FromPath[str],
        add_on_id: FromPath[UUID],
        data: FormData,
        db_session: NamedDependency[AsyncSession],
    ) -> Redirect:
        active = data.get("active") == "yes"
        updated = await catalog.update_add_on(db_session, slug, add_on_id, s.AddOnUpdate(is_active=active))
        await db_session.commit()
        notice = gettext("Add-on “%(name)s” is on sale.") if active else gettext("Add-on “%(name)s” is off sale.")
        return self._back(slug, notice % {"name": updated.name})

    @post("/quotas")
    async def add_quota(
        self,
        slug: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        try:
            body = {
                "name": data.get("name", "").strip(),
                "size": _optional_int(data, "size"),
                "scope": "event" if data.get("scope") == "event" else "items",
                "category_codes": _codes(data.get("category_codes", "")),
                "add_on_codes": _codes(data.get("add_on_codes", "")),
            }
            created = await catalog.create_quota(db_session, slug, msgspec.convert(body, s.QuotaCreate))
            await db_session.commit()
        except (FormError, msgspec.ValidationError, DomainError) as exc:
            return await self._refused(request, db_session, slug, "quota", data, exc)
        return self._back(slug, gettext("Capacity “%(name)s” added.") % {"name": created.name})

    @post("/promo-codes")
    async def add_promo_code(
        self,
        slug: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        event = await get_event(db_session, slug, with_children=False)
        tz = zoneinfo.ZoneInfo(event.timezone)

        def moment(field: str) -> str | None:
            text = data.get(field, "").strip()
            if not text:
                return None
            try:
                return dt.datetime.fromisoformat(text).replace(tzinfo=tz).isoformat()
            except ValueError:
                raise FormError(field, gettext("Enter a date and time, e.g. 2027-03-01 09:00")) from None

        try:
            kind = data.get("kind", "percent")
            fixed = kind == "fixed"
            value = _amount(data, "value", event.currency) if fixed else (_optional_int(data, "value") or 0)
            body = {
                "code": data.get("code", "").strip(),
                "kind": kind,
                "value": value,
                "max_uses": _optional_int(data, "max_uses"),
                "category_codes": _codes(data.get("category_codes", "")),
                "add_on_codes": _codes(data.get("add_on_codes", "")),
                "valid_from": moment("valid_from"),
                "valid_until": moment("valid_until"),
            }
            created = await catalog.create_promo_code(db_session, slug, msgspec.convert(body, s.PromoCodeCreate))
            await db_session.commit()
        except (FormError, msgspec.ValidationError, DomainError) as exc:
            return await self._refused(request, db_session, slug, "promo", data, exc)
        return self._back(slug, gettext("Promo code %(code)s added.") % {"code": created.code})

    @post("/settings")
    async def update_settings(
        self,
        slug: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        fields = (
            "hold_minutes",
            "low_income_discount_pct",
            "lower_middle_income_discount_pct",
            "upper_middle_income_discount_pct",
        )
        try:
            body = {f: _optional_int(data, f) for f in fields}
            changes = {k: v for k, v in body.items() if v is not None}
            await catalog.update_settings(db_session, slug, msgspec.convert(changes, s.RegistrationSettingsUpdate))
            await db_session.commit()
        except (FormError, msgspec.ValidationError, DomainError) as exc:
            return await self._refused(request, db_session, slug, "settings", data, exc)
        return self._back(slug, gettext("Registration settings saved."))

    @post("/seller")
    async def update_seller(
        self,
        slug: FromPath[str],
        data: FormData,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """The seller printed on receipts (the same service as ``PUT /api/events/{event}/seller``)."""
        fields = ("legal_name", "address", "tax_id", "footer")
        try:
            body = msgspec.convert({f: data.get(f, "").replace("\r\n", "\n") for f in fields}, SellerIn)
            await billing.set_seller(db_session, slug, body, actor=audit.actor_of(request.user))
            await db_session.commit()
        except (msgspec.ValidationError, DomainError) as exc:
            return await self._refused(request, db_session, slug, "seller", data, exc)
        return self._back(slug, gettext("Seller details saved."))
