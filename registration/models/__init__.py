"""Every table of registration, one module per subdomain, all re-exported here so ``from registration.models
import X`` names any of them.

They are one package at the bottom of ``registration`` rather than a ``models.py`` in each subpackage because the
subpackages use each other's tables both ways (the catalog counts registrations, orders price from the catalog),
and the ``acyclic_siblings`` contract (``pyproject.toml``, run by ``lint-imports``, kept free of exceptions by
``tests/test_layout.py``) forbids a cycle between them. Below every subpackage, the tables are imported by all of
them and import none; the modules here import nothing of each other either (every relationship stays within its
own module).
"""

from podium.audit_models import AuditEntry
from registration.models.attendees import Cancellation, MailWording, VerificationDocument, WaitlistEntry, WaitlistStatus
from registration.models.bank import BankCredit, BankTransferSettings
from registration.models.catalog import (
    AddOn,
    CancellationFeeRule,
    Category,
    Eligibility,
    PriceWindow,
    PromoCode,
    Question,
    Quota,
    QuotaItem,
    RegistrationSettings,
)
from registration.models.documents import BillingDetails, Document, DocumentCounter, DocumentKind, SellerDetails
from registration.models.letters import LetterSettings, LetterStatus, RevokedBecause, VisaLetter
from registration.models.orders import (
    ACTIVE_REGISTRATION_STATUSES,
    Order,
    OrderQuota,
    OrderStatus,
    Registration,
    RegistrationAddOn,
    RegistrationStatus,
)
from registration.models.payments import Payment, Refund, RefundStatus, WebhookEvent
from registration.models.statements import (
    BankStatement,
    BankStatementLine,
    GroupInvoice,
    GroupInvoiceOrder,
    GroupInvoiceStatus,
    LineOutcome,
    ReviewStatus,
)

# The audit trail moved to the kernel (``podium.audit``); the old name stays for code and tests that use it.
StateChange = AuditEntry

__all__ = [
    "ACTIVE_REGISTRATION_STATUSES",
    "AddOn",
    "BankCredit",
    "BankStatement",
    "BankStatementLine",
    "BankTransferSettings",
    "BillingDetails",
    "Cancellation",
    "CancellationFeeRule",
    "Category",
    "Document",
    "DocumentCounter",
    "DocumentKind",
    "Eligibility",
    "GroupInvoice",
    "GroupInvoiceOrder",
    "GroupInvoiceStatus",
    "LetterSettings",
    "LetterStatus",
    "LineOutcome",
    "MailWording",
    "Order",
    "OrderQuota",
    "OrderStatus",
    "Payment",
    "PriceWindow",
    "PromoCode",
    "Question",
    "Quota",
    "QuotaItem",
    "Refund",
    "RefundStatus",
    "Registration",
    "RegistrationAddOn",
    "RegistrationSettings",
    "RegistrationStatus",
    "ReviewStatus",
    "RevokedBecause",
    "SellerDetails",
    "StateChange",
    "VerificationDocument",
    "VisaLetter",
    "WaitlistEntry",
    "WaitlistStatus",
    "WebhookEvent",
]
