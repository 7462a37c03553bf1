"""Helpers for the EDI tests: building inbound interchanges and reading ours with an independent parser."""

from __future__ import annotations

from pathlib import Path

from x12 import parse_x12_interchange, tokenize_x12

FIXTURES = Path(__file__).parent / "fixtures" / "edi"
X12 = "application/edi-x12"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def po_850(*, isa13: int, lines: list[tuple[str, str, str]], po: str = "PO-1", sender: str = "RETAIL456",
           receiver: str = "SUP123", se_count: int | None = None, extra: list[str] | None = None,
           gs06: int | None = None, st02: str = "0001", beg: str | None = None) -> str:
    """An 850 interchange; ``lines`` are (quantity, id qualifier, id)."""
    gs06 = gs06 if gs06 is not None else isa13
    body = [beg or f"BEG*00*SA*{po}**20260601", *(extra or [])]
    body += [f"PO1*{n}*{qty}*EA***{qual}*{ident}" for n, (qty, qual, ident) in enumerate(lines, start=1)]
    body.append(f"CTT*{len(lines)}")
    segments = [f"ST*850*{st02}", *body, f"SE*{se_count if se_count is not None else len(body) + 2}*{st02}"]
    return "\n".join([
        f"ISA*00*          *00*          *ZZ*{sender:15}*ZZ*{receiver:15}*260601*1200*^*00501*{isa13:09d}*0*T*>~",
        f"GS*PO*{sender}*{receiver}*20260601*1200*{gs06}*X*005010~",
        *[segment + "~" for segment in segments],
        f"GE*1*{gs06}~", f"IEA*1*{isa13:09d}~"]) + "\n"


def post_x12(caller, content: str, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return caller.http.post("/api/v1/edi/inbound", data=content.encode(), content_type=X12, headers=headers)


def read_independently(content: str):
    """Parse with ansi-x12, which itself checks SE01/GE01/IEA01 and the control numbers of each envelope."""
    return parse_x12_interchange(tokenize_x12(content.encode()))


def segments(interchange, tag: str) -> list[list[str]]:
    found = []
    for group in interchange.groups:
        for transaction in group.transactions:
            for segment in transaction.segments:
                if segment.tag == tag:
                    found.append([element.decode() for element in segment.elements])
    return found
