"""What a scan says: GS1 element strings and Digital Link URIs, parsed by biip, checked by stdnum.

Errors name the application identifier they are about (``"(01)"``, ``"(17)"``), so a
warehouse screen can tell the worker which part of the label is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from biip import ParseConfig, ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from stdnum import ean

from hotsauce.errors import ValidationFailed
from inventory.models import Product
from partners.models import code_validator

# FNC1 reaches us as ASCII GS (0x1D). Keyboard-wedge scanners often cannot type GS, so the
# admin page maps Ctrl+] to it; nothing else is a separator (GS1's character set 82 has no GS).
SEPARATORS = ("\x1d",)
_SYMBOLOGY_ID = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_AI_IN_MESSAGE = re.compile(r"AI \((\d{2,4})\)")
GTIN_AIS = ("01", "02")
COUNT_AIS = ("37", "30")


@dataclass
class Scan:
    """The parts of a scan the stock core uses; ``element_strings`` keeps all of it as read."""

    gtin: str | None = None
    gtin_ai: str | None = None
    batch_number: str | None = None
    expiry: date | None = None
    count: int | None = None
    count_ai: str | None = None
    sscc: str | None = None
    element_strings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def hri(self) -> str:
        """The scan as human-readable text, e.g. ``(01)00860001000016(10)B1``."""
        return "".join(f"({ai}){value}" for ai, value in self.element_strings)

    @property
    def expiration_datetime(self) -> datetime | None:
        # Batches expire at the start of their expiry day (UTC), as the stock core stores them.
        return datetime.combine(self.expiry, time.min, tzinfo=UTC) if self.expiry else None


def _fail(ai: str | None, message: str) -> ValidationFailed:
    return ValidationFailed.for_field(f"({ai})" if ai else "scan", message, f"Scan refused: {message}")


def _message(text: str) -> GS1Message:
    try:
        if text.lower().startswith(("http://", "https://")):
            return GS1DigitalLinkURI.parse(text).as_gs1_message()
        if text.startswith("("):
            return GS1Message.parse_hri(text)
        return GS1Message.parse(text, config=ParseConfig(separator_chars=SEPARATORS))
    except ParseError as exc:
        found = _AI_IN_MESSAGE.search(str(exc))
        raise _fail(found.group(1) if found else None, str(exc)) from None


def gs1_check_digit_ok(number: str) -> bool:
    """GS1 mod-10 check digit (GTIN, SSCC), as python-stdnum computes it."""
    return number.isdigit() and len(number) > 1 and ean.calc_check_digit(number[:-1]) == number[-1]


def _apply(scan: Scan, ai: str, element) -> None:
    value = element.value
    if ai in GTIN_AIS:
        # biip checks the digit; stdnum checks it again: two implementations must agree.
        if element.gtin_error or not gs1_check_digit_ok(value):
            raise _fail(ai, element.gtin_error or f"GTIN {value} has a wrong check digit.")
        scan.gtin, scan.gtin_ai = value, ai
    elif ai == "00":
        if element.sscc_error or not gs1_check_digit_ok(value):
            raise _fail(ai, element.sscc_error or f"SSCC {value} has a wrong check digit.")
        scan.sscc = value
    elif ai == "10":
        try:
            code_validator(value)
        except DjangoValidationError:
            raise _fail(ai, f"Batch {value!r} is not a valid batch number here: {code_validator.message}") from None
        scan.batch_number = value
    elif ai == "17":
        scan.expiry = element.date
    elif ai in COUNT_AIS:
        if int(value) <= 0:
            raise _fail(ai, "The count must be at least 1.")
        scan.count, scan.count_ai = int(value), ai


def scan_parse(raw: str) -> Scan:
    """Parse one scan; a bad check digit, date or structure is a 400 naming its AI."""
    text = raw.strip("\r\n\t ")
    text = _SYMBOLOGY_ID.sub("", text)
    if not text:
        raise _fail(None, "The scan is empty.")
    message = _message(text)
    scan = Scan()
    for element in message.element_strings:
        ai = element.ai.ai
        scan.element_strings.append((ai, element.value))
        _apply(scan, ai, element)
    return scan


def gtin_forms(gtin14: str) -> list[str]:
    """A GTIN-14 and the shorter GTINs it may have been stored as (GTIN-13, UPC-A, GTIN-8)."""
    forms = [gtin14]
    for width in (13, 12, 8):
        if set(gtin14[: 14 - width]) <= {"0"}:
            forms.append(gtin14[14 - width:])
    return forms


def scan_product(scan: Scan) -> Product:
    """The product a scan names by GTIN; an unknown GTIN is a 400 on its AI."""
    if scan.gtin is None:
        if scan.sscc:
            raise _fail("01", "An SSCC alone does not say what is inside: scan the content label (02)/(37) "
                              "or the trade item's (01).")
        raise _fail("01", "The scan names no GTIN (01).")
    product = Product.objects.filter(gtin__in=gtin_forms(scan.gtin.zfill(14))).first()
    if product is None:
        raise _fail(scan.gtin_ai, f"No product has GTIN {scan.gtin}.")
    return product


def scan_check_expiry(scan: Scan, *, required: bool) -> None:
    if scan.expiry is None:
        if required:
            raise _fail("17", "A receipt of a new batch needs its expiry date (17).")
        return
    if scan.expiration_datetime <= timezone.now():
        raise _fail("17", f"Expired on {scan.expiry:%Y-%m-%d}: expired goods are not received into stock.")


# Service errors speak the JSON API's field names; a scan's caller wants the AI.
FIELD_TO_AI = {"expirationDate": "(17)", "batchNumber": "(10)", "lots[0].batchNumber": "(10)"}


def errors_as_ais(exc: ValidationFailed) -> ValidationFailed:
    for error in exc.errors:
        error["field"] = FIELD_TO_AI.get(error.get("field"), error.get("field"))
    return exc
