"""Wire types of receipts, credit notes, billing and seller details."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from podium.schema import Struct, line, paragraph

# ISO 3166-1 alpha-2, officially assigned codes (249), and XK (Kosovo), which the EU's VAT system and the
# World Bank use although ISO has not assigned it.
_ISO_3166_ALPHA_2 = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS "
    "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE "
    "EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC "
    "LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA "
    "NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO "
    "TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK"
)
COUNTRY_CODES = frozenset(_ISO_3166_ALPHA_2.split())
CountryOrBlank = Annotated[
    str,
    msgspec.Meta(
        pattern=f"^({'|'.join(sorted(COUNTRY_CODES))})?$",
        description="ISO 3166-1 alpha-2 (upper case), or empty",
        examples=["DE"],
    ),
]


class BillingIn(Struct):
    """What the buyer wants on the receipt besides their name; every field may be left empty."""

    organization: Annotated[str, line(200, min_length=0)] = ""
    address: Annotated[str, paragraph(500)] = ""
    country: CountryOrBlank = ""
    tax_id: Annotated[str, msgspec.Meta(max_length=40, pattern=r"^[A-Za-z0-9 .\-/]*$", examples=["DE123456789"])] = ""
    po_number: Annotated[str, line(60, min_length=0)] = ""


class BillingRead(Struct):
    organization: str = ""
    address: str = ""
    country: str = ""
    tax_id: str = ""
    po_number: str = ""


class SellerIn(Struct):
    """The event's seller as printed on its receipts: legal name, address, tax id, footer."""

    legal_name: Annotated[str, line(200, min_length=0)] = ""
    address: Annotated[str, paragraph(500)] = ""
    tax_id: Annotated[str, msgspec.Meta(max_length=40, pattern=r"^[A-Za-z0-9 .\-/]*$")] = ""
    footer: Annotated[str, paragraph(500)] = ""


class SellerRead(Struct):
    legal_name: str = ""
    address: str = ""
    tax_id: str = ""
    footer: str = ""


class DocumentRead(Struct):
    """A receipt or credit note; ``number`` and ``pdf_url`` are null until it is issued (a moment after the
    change that caused it)."""

    id: UUID
    order_id: UUID
    kind: Literal["receipt", "credit_note"]
    status: Literal["pending", "issued"]
    number: str | None
    issued_at: dt.datetime | None
    currency: str
    total: int
    reason: str
    corrects: str | None
    pdf_url: str | None
