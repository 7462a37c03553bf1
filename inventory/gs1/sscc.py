"""Serial Shipping Container Codes (SSCC-18): extension digit, GS1 company prefix, serial, check digit."""

from __future__ import annotations

from stdnum import ean

from hotsauce.errors import ValidationFailed


def serial_capacity(company_prefix: str) -> int:
    """How many serial references fit beside this company prefix (16 digits share both)."""
    return 10 ** (16 - len(company_prefix))


def sscc_compose(*, extension_digit: int, company_prefix: str, serial: int) -> str:
    if not (company_prefix.isdigit() and 6 <= len(company_prefix) <= 12):
        raise ValueError(f"GS1 company prefix {company_prefix!r} must be 6 to 12 digits.")
    if not 0 <= extension_digit <= 9:
        raise ValueError("The SSCC extension digit is one digit.")
    if not 0 <= serial < serial_capacity(company_prefix):
        # Wrapping around would reuse a code another pallet may still carry.
        raise ValueError(f"SSCC serial {serial} does not fit beside company prefix {company_prefix}.")
    body = f"{extension_digit}{company_prefix}{serial:0{16 - len(company_prefix)}d}"
    return body + ean.calc_check_digit(body)


def sscc_validate(value: str, field: str = "sscc") -> str:
    value = (value or "").strip()
    if not (value.isdigit() and len(value) == 18):
        raise ValidationFailed.for_field(field, "An SSCC is 18 digits.")
    if ean.calc_check_digit(value[:-1]) != value[-1]:
        raise ValidationFailed.for_field(field, f"SSCC {value} has a wrong check digit.")
    return value
