"""What a value of each attribute type looks like: in a JSON body, in a query string, and stored.

Stored values are plain JSON scalars (booleans, numbers, strings), so the ``attributes``
column filters the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from partners.attributes.models import AttributeDefinition

T = AttributeDefinition.Type
MAX_STRING = 500
# JSON numbers beyond 2^53 lose precision in most clients' parsers.
MAX_INTEGER = 2**53
MAX_DECIMAL_DIGITS = 15
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadValue(ValueError):
    pass


def _decimal(value) -> int | float:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadValue("Must be a decimal number, e.g. 12.5.") from None
    if not number.is_finite():
        raise BadValue("Must be a finite decimal number.")
    if abs(number) >= 10**MAX_DECIMAL_DIGITS or len(number.normalize().as_tuple().digits) > MAX_DECIMAL_DIGITS:
        raise BadValue(f"At most {MAX_DECIMAL_DIGITS} significant digits.")
    # Whole numbers are stored as integers so that 20 and 20.0 are the same value.
    return int(number) if number == number.to_integral_value() else float(number)


def _date(value) -> str:
    if not isinstance(value, str) or not _DATE.match(value):
        raise BadValue("Must be a date, YYYY-MM-DD.")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise BadValue("Must be a real date, YYYY-MM-DD.") from None
    return value


def _enum(definition: AttributeDefinition, value) -> str:
    if not isinstance(value, str) or value not in (definition.values or []):
        raise BadValue(f"Must be one of: {', '.join(definition.values or [])}.")
    return value


def _boolean(definition: AttributeDefinition, value) -> bool:
    if not isinstance(value, bool):
        raise BadValue("Must be true or false.")
    return value


def _integer(definition: AttributeDefinition, value) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadValue("Must be a whole number (a JSON number).")
    if abs(value) > MAX_INTEGER:
        raise BadValue(f"Must be between -{MAX_INTEGER} and {MAX_INTEGER}.")
    return value


def _decimal_json(definition: AttributeDefinition, value) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadValue("Must be a decimal number, e.g. 12.5.")
    return _decimal(value)


def _string(definition: AttributeDefinition, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadValue("Must be a non-blank string.")
    if len(value) > MAX_STRING:
        raise BadValue(f"At most {MAX_STRING} characters.")
    return value


_CLEAN = {T.BOOLEAN: _boolean, T.INTEGER: _integer, T.DECIMAL: _decimal_json, T.STRING: _string,
          T.DATE: lambda definition, value: _date(value), T.ENUM: _enum}


def value_clean(definition: AttributeDefinition, value):
    """The stored form of a value sent in a JSON body; ``BadValue`` says what is wrong."""
    return _CLEAN[definition.type](definition, value)


def value_parse(definition: AttributeDefinition, raw: str):
    """The stored form of a value written in a query string (``attributes.<key>=<raw>``)."""
    kind = definition.type
    if kind == T.BOOLEAN:
        if raw not in ("true", "false", "1", "0"):
            raise BadValue("Must be true or false.")
        return raw in ("true", "1")
    if kind == T.INTEGER:
        if not re.fullmatch(r"-?\d{1,16}", raw.strip()):
            raise BadValue("Must be a whole number.")
        return value_clean(definition, int(raw))
    if kind == T.DECIMAL:
        return _decimal(raw)
    if kind == T.STRING:
        return value_clean(definition, raw)
    if kind == T.DATE:
        return _date(raw)
    return _enum(definition, raw)
