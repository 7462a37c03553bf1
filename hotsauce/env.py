"""Strict parsing of settings from the environment.

A bad value must stop the process at start with a message naming the variable, never
fall back silently to a default that would run production on the wrong database.
"""

import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off).")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int_list(name: str, default: list[int]) -> list[int]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        parsed = [int(item.strip()) for item in value.split(",") if item.strip()]
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} must be comma-separated whole seconds.") from None
    if not parsed or any(item < 0 for item in parsed):
        raise ImproperlyConfigured(f"{name}={value!r} must list at least one non-negative number of seconds.")
    return parsed


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*$")


def env_rate(name: str, default: str) -> str:
    value = env_str(name, default)
    if not _RATE.match(value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate like '600/min'.")
    return value.strip()


def env_int_map(name: str, default: dict[str, int], *, minimum: int = 0) -> dict[str, int]:
    """``key=int,key=int`` overriding some keys of ``default``; an unknown key or a bad number fails."""
    value = os.environ.get(name)
    if value is None or value == "":
        return dict(default)
    parsed = dict(default)
    for item in value.split(","):
        if not item.strip():
            continue
        key, sep, number = item.partition("=")
        key = key.strip()
        if not sep or key not in default:
            raise ImproperlyConfigured(
                f"{name}={value!r}: {item.strip()!r} is not one of {', '.join(default)} followed by '=<number>'.")
        try:
            parsed[key] = int(number.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r}: {key} must be a whole number.") from None
        if parsed[key] < minimum:
            raise ImproperlyConfigured(f"{name}={value!r}: {key} must be at least {minimum}.")
    return parsed


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name, default).strip().lower()
    for choice in choices:
        if value == choice.lower():
            return choice
    raise ImproperlyConfigured(f"{name}={os.environ.get(name)!r} must be one of {', '.join(choices)}.")


def env_networks(name: str, default: list[str]) -> list:
    """Comma-separated IP addresses or CIDRs, as ``ipaddress`` networks."""
    import ipaddress

    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or CIDR.") from None
    return networks
