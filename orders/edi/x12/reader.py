"""Reading X12 with pyx12: the envelope structure, the delimiters, and pyx12's envelope findings.

pyx12 checks what every interchange must get right (ISA/IEA, GS/GE and ST/SE pairing, their
counts and control numbers) and reports each problem with the code a TA1 or 997 uses; the
transaction sets' contents are read by ``services.purchase_orders``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pyx12.errors
from pyx12.x12file import X12Reader

from orders.edi.x12.writer import Delimiters


@dataclass
class ReadSegment:
    seg_id: str
    elements: list[str]  # elements[0] is the segment's first element (e.g. BEG01)
    position: int  # 1-based position in its transaction set (ST is 1), as AK302 counts

    def get(self, index: int) -> str:
        return self.elements[index - 1] if 0 < index <= len(self.elements) else ""


@dataclass
class ReadTransaction:
    code: str
    control_number: str
    segments: list[ReadSegment] = field(default_factory=list)
    # (AK5 code, text) from the envelope: trailer missing (2), control mismatch (3), count wrong (4)
    envelope_errors: list[tuple[str, str]] = field(default_factory=list)
    # (segment id, position, AK304 code, text)
    segment_errors: list[tuple[str, int, str, str]] = field(default_factory=list)


@dataclass
class ReadGroup:
    functional_id: str
    sender_id: str
    receiver_id: str
    control_number: str
    version: str
    transactions: list[ReadTransaction] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (AK905 code, text)


@dataclass
class ReadInterchange:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control_number: str
    version: str
    date: str
    time: str
    delimiters: Delimiters
    groups: list[ReadGroup] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (TA1 note code, text)


class X12ReadError(Exception):
    """Not an interchange at all (no readable ISA): nothing can be acknowledged."""


def _elements(segment) -> list[str]:
    return [element.format() for element in segment.elements]


def _file_errors(reader: X12Reader, interchange: ReadInterchange, group: ReadGroup | None,
                 transaction: ReadTransaction | None, seg_id: str, position: int) -> None:
    for kind, code, text, _value, _line in reader.pop_errors():
        if kind == "isa":
            interchange.errors.append((code, text))
        elif kind == "gs" and group is not None:
            group.errors.append((code, text))
        elif kind == "st" and transaction is not None:
            transaction.envelope_errors.append((code, text))
        elif kind == "seg" and transaction is not None:
            transaction.segment_errors.append((seg_id, position, "1" if code == "1" else "8", text))


def x12_read(content: str) -> ReadInterchange:
    try:
        reader = X12Reader(io.StringIO(content))
        return _walk(reader)
    except (pyx12.errors.X12Error, ValueError, IndexError) as exc:
        raise X12ReadError(str(exc)) from None


def _at(elements: list[str], position: int) -> str:
    """Element ``position`` (1-based, as X12 numbers them), or "" when the segment is shorter."""
    return elements[position - 1] if len(elements) >= position else ""


def _delimiters(reader: X12Reader) -> Delimiters:
    seg_term, ele_term, comp_term, _eol, rep_term = reader.get_term()
    # Before 00402, ISA11 is the standards id "U", not a repetition separator.
    return Delimiters(element=ele_term, component=comp_term,
                      repetition=rep_term if rep_term and rep_term != "U" else "^", segment=seg_term)


def _isa(elements: list[str], delimiters: Delimiters) -> ReadInterchange:
    return ReadInterchange(
        sender_qualifier=elements[4].strip(), sender_id=elements[5].strip(), receiver_qualifier=elements[6].strip(),
        receiver_id=elements[7].strip(), control_number=elements[12].strip(), version=elements[11].strip(),
        date=elements[8], time=elements[9], delimiters=delimiters)


def _walk(reader: X12Reader) -> ReadInterchange:
    delimiters = _delimiters(reader)
    interchange: ReadInterchange | None = None
    group: ReadGroup | None = None
    transaction: ReadTransaction | None = None
    position = 0
    for segment in reader:
        seg_id = segment.get_seg_id()
        elements = _elements(segment)
        if seg_id == "ISA":
            if interchange is not None:
                raise X12ReadError("One interchange per request: a second ISA was found.")
            interchange = _isa(elements, delimiters)
        elif seg_id == "GS" and interchange is not None:
            group = ReadGroup(functional_id=_at(elements, 1), sender_id=_at(elements, 2),
                              receiver_id=_at(elements, 3), control_number=_at(elements, 6), version=_at(elements, 8))
            interchange.groups.append(group)
        elif seg_id == "ST" and group is not None:
            position = 1
            transaction = ReadTransaction(code=_at(elements, 1), control_number=_at(elements, 2))
            group.transactions.append(transaction)
        elif seg_id == "SE":
            position += 1
        elif seg_id in ("GE", "IEA"):
            transaction = None
        elif transaction is not None:
            position += 1
            transaction.segments.append(ReadSegment(seg_id=seg_id, elements=elements, position=position))
        _file_errors(reader, _required(interchange), group, transaction, seg_id, position)
        if seg_id == "SE":
            transaction = None
        elif seg_id == "GE":
            group = None
    reader.cleanup()
    interchange = _required(interchange)
    _file_errors(reader, interchange, group, transaction, "", position)
    return interchange


def _required(interchange: ReadInterchange | None) -> ReadInterchange:
    if interchange is None:
        raise X12ReadError("No ISA segment.")
    return interchange
