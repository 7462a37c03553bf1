"""Small X12 segment builders: ISA/GS/ST envelopes with counts and control numbers.

X12 has no escape character: a delimiter inside a value would split it. Values are cleaned
instead (delimiters and control characters become spaces), which is what trading partners'
translators do too; identifiers that must survive intact are refused upstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

FUNCTIONAL_IDS = {"846": "IB", "850": "PO", "855": "PR", "856": "SH", "997": "FA"}
ISA_VERSIONS = {"005010": "00501", "004010": "00401"}


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    component: str = ">"
    repetition: str = "^"
    segment: str = "~"

    def __post_init__(self):
        chars = [self.element, self.component, self.repetition, self.segment]
        if any(len(c) != 1 or c.isalnum() or c == " " for c in chars) or len(set(chars)) != 4:
            raise ValueError(f"X12 delimiters must be four distinct non-alphanumeric characters: {chars}")

    @property
    def all(self) -> str:
        return self.element + self.component + self.repetition + self.segment


Segment = tuple  # ("BEG", "00", "SA", ...): the segment id, then its elements


def clean(value, delimiters: Delimiters) -> str:
    text = "" if value is None else str(value)
    return "".join(" " if (ch in delimiters.all or ord(ch) < 32 or ord(ch) > 126) else ch for ch in text)


def render_segment(segment: Segment, delimiters: Delimiters) -> str:
    seg_id, *elements = segment
    values = [clean(e, delimiters) if not isinstance(e, tuple)
              else delimiters.component.join(clean(c, delimiters) for c in e) for e in elements]
    while values and values[-1] == "":  # trailing empty elements are not sent
        values.pop()
    return delimiters.element.join([seg_id, *values]) + delimiters.segment


@dataclass
class Party:
    qualifier: str
    isa_id: str
    gs_id: str


def interchange(*, sender: Party, receiver: Party, control_number: int, version: str, usage: str,
                transaction_set: str, bodies: list[list[Segment]], delimiters: Delimiters, now: datetime,
                ta1: Segment | None = None) -> str:
    """One interchange, one functional group, one ST/SE per body; every count computed here."""
    isa_version = ISA_VERSIONS[version]
    # ISA11 is the repetition separator from 00402 on; before it, the standards identifier "U".
    isa11 = delimiters.repetition if version >= "004020" else "U"
    isa = (f"ISA{delimiters.element}00{delimiters.element}{'':10}{delimiters.element}00{delimiters.element}"
           f"{'':10}{delimiters.element}{sender.qualifier:2}{delimiters.element}{sender.isa_id:15}"
           f"{delimiters.element}{receiver.qualifier:2}{delimiters.element}{receiver.isa_id:15}"
           f"{delimiters.element}{now:%y%m%d}{delimiters.element}{now:%H%M}{delimiters.element}{isa11}"
           f"{delimiters.element}{isa_version}{delimiters.element}{control_number:09d}{delimiters.element}0"
           f"{delimiters.element}{usage}{delimiters.element}{delimiters.component}{delimiters.segment}")
    out = [isa]
    if ta1 is not None:
        out.append(render_segment(ta1, delimiters))
    if bodies:
        out.append(render_segment(("GS", FUNCTIONAL_IDS[transaction_set], sender.gs_id, receiver.gs_id,
                                   f"{now:%Y%m%d}", f"{now:%H%M}", str(control_number), "X", version), delimiters))
        for index, body in enumerate(bodies, start=1):
            st02 = f"{control_number:04d}" if len(bodies) == 1 else f"{index:04d}"
            out.append(render_segment(("ST", transaction_set, st02), delimiters))
            out.extend(render_segment(segment, delimiters) for segment in body)
            out.append(render_segment(("SE", str(len(body) + 2), st02), delimiters))
        out.append(render_segment(("GE", str(len(bodies)), str(control_number)), delimiters))
    out.append(render_segment(("IEA", "1" if bodies else "0", f"{control_number:09d}"), delimiters))
    return "\n".join(out) + "\n"
