"""Building an event's catalog (categories, price windows, add-ons, capacities, promo codes, questions,
settings) and showing it to buyers with current prices and seats left.

Every capacity is a Quota: a category's or add-on's own (``capacity`` on the item), shared ones spanning
several items, and event-wide ones. Codes are the stable, human names the API and orders use. One module per
kind of item; fetching, listing, adding and deleting rows is shared (``rows``). Services change state and
raise domain errors; the request commits.
"""

from registration.catalog.add_ons import add_on_read, create_add_on, delete_add_on, list_add_ons, update_add_on
from registration.catalog.capacity import create_quota, delete_quota, list_quotas, quota_read, update_quota
from registration.catalog.categories import (
    category_read,
    create_category,
    delete_category,
    list_categories,
    update_category,
)
from registration.catalog.event_settings import get_settings, update_settings
from registration.catalog.promo_codes import (
    create_promo_code,
    delete_promo_code,
    list_promo_codes,
    promo_read,
    update_promo_code,
)
from registration.catalog.public import public_catalog
from registration.catalog.questions import (
    create_question,
    delete_question,
    list_questions,
    question_read,
    update_question,
)

__all__ = [
    "add_on_read",
    "category_read",
    "create_add_on",
    "create_category",
    "create_promo_code",
    "create_question",
    "create_quota",
    "delete_add_on",
    "delete_category",
    "delete_promo_code",
    "delete_question",
    "delete_quota",
    "get_settings",
    "list_add_ons",
    "list_categories",
    "list_promo_codes",
    "list_questions",
    "list_quotas",
    "promo_read",
    "public_catalog",
    "question_read",
    "quota_read",
    "update_add_on",
    "update_category",
    "update_promo_code",
    "update_question",
    "update_quota",
    "update_settings",
]
