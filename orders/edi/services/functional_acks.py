"""997 Functional Acknowledgment: the verdict on every transaction set of an inbound group.

AK3/AK4 name the segments and elements in error (X12 codes: AK304 segment errors, AK403
element errors), AK5 accepts or rejects each transaction set, AK9 the whole group.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ElementError:
    position: int  # AK401: element position in the segment
    reference: str  # AK402: data element reference number, e.g. "330" (quantity ordered)
    code: str  # AK403: 1 missing, 6 invalid character, 7 invalid code value, 8 invalid date, ...
    value: str = ""  # AK404: a copy of the bad data


@dataclass
class SegmentError:
    segment: str  # AK301
    position: int  # AK302: position in the transaction set, ST being 1
    code: str  # AK304: 1 unrecognized, 3 mandatory missing, 8 has data element errors, ...
    elements: list[ElementError] = field(default_factory=list)
    loop: str = ""  # AK303


@dataclass
class TransactionVerdict:
    code: str  # ST01
    control_number: str  # ST02
    segment_errors: list[SegmentError] = field(default_factory=list)
    rejection_codes: list[str] = field(default_factory=list)  # AK502..AK506
    note: str = ""

    @property
    def accepted(self) -> bool:
        return not self.segment_errors and not self.rejection_codes

    def reject(self, code: str, note: str = "") -> None:
        if code not in self.rejection_codes:
            self.rejection_codes.append(code)
        self.note = self.note or note


def ack_body(*, functional_id: str, group_control_number: str, version: str, declared: int | None,
             verdicts: list[TransactionVerdict], group_codes: list[str]) -> list[tuple]:
    body: list[tuple] = [("AK1", functional_id, group_control_number, version if version >= "005010" else "")]
    for verdict in verdicts:
        body.append(("AK2", verdict.code, verdict.control_number))
        for error in verdict.segment_errors:
            body.append(("AK3", error.segment, str(error.position), error.loop, error.code))
            for element in error.elements:
                body.append(("AK4", str(element.position), element.reference, element.code, element.value[:99]))
        if verdict.accepted:
            body.append(("AK5", "A"))
        else:
            codes = verdict.rejection_codes or ["5"]
            body.append(("AK5", "R", *codes[:5]))
    received = len(verdicts)
    accepted = sum(1 for v in verdicts if v.accepted)
    if group_codes or accepted == 0:
        status = "R"
    elif accepted < received:
        status = "P"
    else:
        status = "A"
    body.append(("AK9", status, str(declared if declared is not None else received), str(received), str(accepted),
                 *group_codes[:5]))
    return body
