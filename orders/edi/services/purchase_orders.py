"""850 Purchase Orders in: read, checked segment by segment, placed as ``POST orders`` would place them.

Every inbound interchange is stored and answered with a 997 in the same request. Each
transaction set is idempotent by its sender and its ISA13/GS06/ST02 control numbers: a
replay creates nothing and gets the first answer again. A transaction set with any error
is rejected whole (AK5 R) and creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction

from hotsauce.errors import ApplicationError, PermissionDenied, ValidationFailed
from inventory.gs1.scan import gtin_forms
from inventory.models import Product
from orders import services
from orders.edi.models import EdiDocument, InboundTransaction, TradingPartnerProfile
from orders.edi.services.documents import document_store, outbound_issue
from orders.edi.services.functional_acks import ElementError, SegmentError, TransactionVerdict, ack_body
from orders.edi.services.profiles import profile_by_isa
from orders.edi.x12.reader import ReadGroup, ReadInterchange, ReadSegment, ReadTransaction, X12ReadError, x12_read
from partners.principal import Principal

SKU_QUALIFIERS = ("VN", "VP", "SK", "IN", "BP")
GTIN_QUALIFIERS = ("UK", "EN", "UP", "UA")
# X12 envelope findings (pyx12's codes) as AK5 codes; AK3 segment codes pass through.
ST_CODES = {"2": "2", "3": "3", "4": "4", "23": "23"}


@dataclass
class PurchaseOrder:
    reference: str = ""
    requested_delivery_date: date | None = None
    delivery_address: dict | None = None
    lines: list[services.LineRequest] = field(default_factory=list)
    line_positions: list[int] = field(default_factory=list)
    date_position: int | None = None


@dataclass
class InboundResult:
    document: EdiDocument
    acknowledgement: EdiDocument | None
    created_order_ids: list[str]
    replayed: bool = False


def _date(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y%m%d").date() if len(value) == 8 else None
    except ValueError:
        return None


def _product(segment: ReadSegment) -> tuple[Product | None, ElementError | None]:
    """The product a PO1 names by its id pairs (PO106/107, PO108/109, ...)."""
    first_id = None
    for position in range(6, len(segment.elements), 2):
        qualifier, value = segment.get(position), segment.get(position + 1)
        if not value:
            continue
        first_id = first_id or (position + 1, value)
        if qualifier in SKU_QUALIFIERS:
            product = Product.objects.filter(sku=value).first()
        elif qualifier in GTIN_QUALIFIERS and value.isdigit() and len(value) <= 14:
            product = Product.objects.filter(gtin__in=gtin_forms(value.zfill(14))).first()
        else:
            continue
        if product is not None:
            return product, None
    if first_id is None:
        return None, ElementError(7, "234", "1")
    return None, ElementError(first_id[0], "234", "7", first_id[1])


def _quantity(segment: ReadSegment) -> tuple[int | None, ElementError | None]:
    raw = segment.get(2)
    if not raw:
        return None, ElementError(2, "330", "1")
    try:
        value = float(raw)
    except ValueError:
        return None, ElementError(2, "330", "6", raw)
    if value <= 0 or value != int(value) or value > 1_000_000_000:
        return None, ElementError(2, "330", "7", raw)
    return int(value), None


def _read_po1(segment: ReadSegment, order: PurchaseOrder, verdict: TransactionVerdict) -> None:
    errors = []
    quantity, error = _quantity(segment)
    errors += [error] if error else []
    if segment.get(3) and segment.get(3) != "EA":
        errors.append(ElementError(3, "355", "7", segment.get(3)))
    product, error = _product(segment)
    errors += [error] if error else []
    if errors:
        verdict.segment_errors.append(SegmentError("PO1", segment.position, "8", errors))
        return
    order.lines.append(services.LineRequest(product=product, quantity=quantity))
    order.line_positions.append(segment.position)


def _read_beg(segment: ReadSegment, order: PurchaseOrder, verdict: TransactionVerdict) -> None:
    errors = []
    if segment.get(1) != "00":
        errors.append(ElementError(1, "353", "7" if segment.get(1) else "1", segment.get(1)))
    if not segment.get(3):
        errors.append(ElementError(3, "324", "1"))
    elif len(segment.get(3)) > 22:
        errors.append(ElementError(3, "324", "5", segment.get(3)))
    if _date(segment.get(5)) is None:
        errors.append(ElementError(5, "373", "8" if segment.get(5) else "1", segment.get(5)))
    if errors:
        verdict.segment_errors.append(SegmentError("BEG", segment.position, "8", errors))
    order.reference = segment.get(3)


def _read_dtm(segment: ReadSegment, order: PurchaseOrder, verdict: TransactionVerdict) -> None:
    if segment.get(1) != "002":  # only "delivery requested" is used
        return
    value = _date(segment.get(2))
    if value is None:
        verdict.segment_errors.append(SegmentError("DTM", segment.position, "8", [
            ElementError(2, "373", "8", segment.get(2))]))
        return
    order.requested_delivery_date, order.date_position = value, segment.position


def _read_address(segments: list[ReadSegment], index: int, order: PurchaseOrder) -> None:
    """N1*ST (ship-to) with its N3/N4: the delivery address as an object."""
    n1 = segments[index]
    # Stored as the JSON API stores an address object (snake_case keys; camelCase on the wire).
    address = {"name": n1.get(2), "location_code": n1.get(4)}
    for following in segments[index + 1:]:
        if following.seg_id == "N3":
            address["street"] = " ".join(filter(None, [following.get(1), following.get(2)]))
        elif following.seg_id == "N4":
            address.update(city=following.get(1), state=following.get(2), postal_code=following.get(3),
                           country=following.get(4))
        elif following.seg_id not in ("N2", "PER", "REF"):
            break
    order.delivery_address = {key: value for key, value in address.items() if value}


def purchase_order_read(transaction_set: ReadTransaction, verdict: TransactionVerdict) -> PurchaseOrder:
    order = PurchaseOrder()
    segments = transaction_set.segments
    for index, segment in enumerate(segments):
        if segment.seg_id == "BEG":
            _read_beg(segment, order, verdict)
        elif segment.seg_id == "DTM":
            _read_dtm(segment, order, verdict)
        elif segment.seg_id == "N1" and segment.get(1) == "ST":
            _read_address(segments, index, order)
        elif segment.seg_id == "PO1":
            _read_po1(segment, order, verdict)
        elif segment.seg_id == "CTT":
            po1_count = sum(1 for s in segments if s.seg_id == "PO1")
            if segment.get(1) != str(po1_count):
                verdict.segment_errors.append(SegmentError("CTT", segment.position, "8", [
                    ElementError(1, "354", "7", segment.get(1))]))
    if not any(s.seg_id == "BEG" for s in segments):
        verdict.segment_errors.append(SegmentError("BEG", 2, "3"))
    if not any(s.seg_id == "PO1" for s in segments):
        verdict.segment_errors.append(SegmentError("PO1", len(segments) + 2, "3"))
    return order


def _service_error(exc: ApplicationError, order: PurchaseOrder, verdict: TransactionVerdict) -> None:
    """``order_create`` refused: point at the segment that carried the refused value."""
    for error in exc.errors or [{"field": None}]:
        name = error.get("field") or ""
        if name == "requestedDeliveryDate" and order.date_position:
            verdict.segment_errors.append(SegmentError("DTM", order.date_position, "8", [
                ElementError(2, "373", "8")]))
        elif name.startswith("lines[") and "]" in name:
            index = int(name[6:name.index("]")])
            verdict.segment_errors.append(SegmentError("PO1", order.line_positions[index], "8", [
                ElementError(2, "330", "7")]))
    verdict.reject("5", exc.detail)


def _place(*, transaction_set: ReadTransaction, verdict: TransactionVerdict, sender: TradingPartnerProfile,
           receiver: TradingPartnerProfile, actor: Principal | None):
    order = purchase_order_read(transaction_set, verdict)
    if not verdict.accepted:
        return None
    try:
        with transaction.atomic():
            return services.order_create(
                supplier=receiver.supplier, retail_partner=sender.retail_partner, lines=order.lines,
                requested_delivery_date=order.requested_delivery_date, delivery_address=order.delivery_address,
                reference=order.reference, actor=actor)
    except ApplicationError as exc:
        _service_error(exc, order, verdict)
        return None


def _acknowledged_997(transaction_set: ReadTransaction, sender: TradingPartnerProfile) -> None:
    """A 997 from the retailer: mark the documents we sent it as acknowledged (or rejected)."""
    ak1 = next((s for s in transaction_set.segments if s.seg_id == "AK1"), None)
    ak9 = next((s for s in transaction_set.segments if s.seg_id == "AK9"), None)
    if ak1 is None or ak9 is None:
        return
    status = {"A": EdiDocument.Status.ACKNOWLEDGED, "E": EdiDocument.Status.ACKNOWLEDGED_WITH_ERRORS,
              "P": EdiDocument.Status.ACKNOWLEDGED_WITH_ERRORS}.get(ak9.get(1), EdiDocument.Status.REJECTED)
    EdiDocument.objects.filter(profile=sender, direction=EdiDocument.Direction.OUTBOUND,
                               group_control_number=ak1.get(2)).update(status=status)


def _verdict(transaction_set: ReadTransaction, group: ReadGroup, interchange: ReadInterchange) -> TransactionVerdict:
    verdict = TransactionVerdict(code=transaction_set.code, control_number=transaction_set.control_number)
    for code, text in transaction_set.envelope_errors:
        verdict.reject(ST_CODES.get(code, "5"), text)
    for seg_id, position, code, _text in transaction_set.segment_errors:
        verdict.segment_errors.append(SegmentError(seg_id, position, code))
    if group.errors or interchange.errors:
        verdict.reject("5", "; ".join(text for _, text in group.errors + interchange.errors))
    if transaction_set.code not in ("850", "997"):
        verdict.reject("1", f"Transaction set {transaction_set.code} is not accepted here.")
    return verdict


@dataclass
class _Run:
    interchange: ReadInterchange
    sender: TradingPartnerProfile
    receiver: TradingPartnerProfile
    document: EdiDocument
    actor: Principal | None
    created: list = field(default_factory=list)
    accepted: int = 0
    received: int = 0


def _claim(run: _Run, transaction_set: ReadTransaction, key: dict) -> InboundTransaction | None:
    """Claim a transaction set's control numbers before acting on it; None when it was seen before.

    The unique constraint decides between concurrent deliveries of the same interchange:
    the second insert waits for the first transaction and then fails, so one order is placed.
    """
    try:
        with transaction.atomic():
            return InboundTransaction.objects.create(document=run.document, transaction_set=transaction_set.code,
                                                     accepted=False, **key)
    except IntegrityError:
        return None


def _process_group(run: _Run, group: ReadGroup) -> list[tuple] | None:
    verdicts = []
    for transaction_set in group.transactions:
        key = {"profile": run.sender, "interchange_control_number": run.interchange.control_number,
               "group_control_number": group.control_number,
               "transaction_control_number": transaction_set.control_number}
        verdict = _verdict(transaction_set, group, run.interchange)
        order = None
        claim = _claim(run, transaction_set, key)
        if claim is None:
            verdict.note = "already received: nothing done again"
        elif verdict.accepted and transaction_set.code == "850":
            order = _place(transaction_set=transaction_set, verdict=verdict, sender=run.sender,
                           receiver=run.receiver, actor=run.actor)
        elif verdict.accepted:
            _acknowledged_997(transaction_set, run.sender)
        if claim is not None:
            InboundTransaction.objects.filter(pk=claim.pk).update(accepted=verdict.accepted, order=order)
        if order is not None:
            run.created.append(order.code)
        run.received += 1
        run.accepted += verdict.accepted
        verdicts.append(verdict)
    if group.functional_id == "FA":
        return None  # acknowledgements are never acknowledged
    codes = [code for code, _ in group.errors if code in ("3", "4", "5", "6")]
    return ack_body(functional_id=group.functional_id, group_control_number=group.control_number,
                    version=group.version, declared=None, verdicts=verdicts, group_codes=codes)


def _parties(interchange: ReadInterchange, actor: Principal | None):
    sender = profile_by_isa(interchange.sender_qualifier, interchange.sender_id)
    receiver = profile_by_isa(interchange.receiver_qualifier, interchange.receiver_id)
    if sender is None or sender.retail_partner_id is None:
        raise ValidationFailed.for_field("ISA06", f"No retail partner's X12 profile has the id "
                                                  f"{interchange.sender_qualifier}/{interchange.sender_id}.")
    if receiver is None or receiver.supplier_id is None:
        raise ValidationFailed.for_field("ISA08", f"No supplier's X12 profile has the id "
                                                  f"{interchange.receiver_qualifier}/{interchange.receiver_id}.")
    if actor is not None and actor.is_retailer and actor.retail_partner_id != sender.retail_partner_id:
        raise PermissionDenied("The interchange's sender (ISA06) is another partner; send only your own.")
    return sender, receiver


def _replay(interchange: ReadInterchange, sender: TradingPartnerProfile) -> InboundResult | None:
    keys = [(group.control_number, t.control_number) for group in interchange.groups for t in group.transactions]
    if not keys:
        return None
    seen = InboundTransaction.objects.filter(profile=sender, interchange_control_number=interchange.control_number)
    known = {(t.group_control_number, t.transaction_control_number): t for t in seen.select_related("document")}
    if any(key not in known for key in keys):
        return None
    document = known[keys[0]].document
    return InboundResult(document=document, acknowledgement=document.acknowledgements.order_by("pk").first(),
                         created_order_ids=[], replayed=True)


@transaction.atomic
def edi_inbound_receive(*, content: str, actor: Principal | None = None) -> InboundResult:
    """Store an inbound interchange, act on its 850s (and 997s), and answer it with a 997."""
    try:
        interchange = x12_read(content)
    except X12ReadError as exc:
        raise ValidationFailed.for_field("ISA", str(exc), f"Not a readable X12 interchange: {exc}") from None
    sender, receiver = _parties(interchange, actor)
    replay = _replay(interchange, sender)
    if replay is not None:
        return replay
    first = interchange.groups[0] if interchange.groups else None
    document = document_store(
        actor=actor, direction=EdiDocument.Direction.INBOUND,
        transaction_set=first.transactions[0].code if first and first.transactions else "",
        profile=sender, retail_partner=sender.retail_partner, supplier=receiver.supplier,
        sender_id=interchange.sender_id, receiver_id=interchange.receiver_id,
        version=first.version if first else "", interchange_control_number=interchange.control_number[:9],
        group_control_number=first.control_number[:9] if first else "",
        transaction_control_number=(first.transactions[0].control_number[:9]
                                    if first and len(first.transactions) == 1 else ""),
        status=EdiDocument.Status.REJECTED, content=content)
    run = _Run(interchange=interchange, sender=sender, receiver=receiver, document=document, actor=actor)
    bodies = [body for body in (_process_group(run, group) for group in interchange.groups) if body]
    ta1 = None
    if interchange.errors:
        ta1 = ("TA1", interchange.control_number, interchange.date, interchange.time, "R", interchange.errors[0][0])
    ack = None
    if bodies or ta1:
        ack = outbound_issue(transaction_set="997", supplier=receiver.supplier, retail_partner=sender.retail_partner,
                             sender=receiver, bodies=bodies, ta1=ta1, actor=actor, acknowledges=document)
    status = (EdiDocument.Status.ACCEPTED if run.accepted == run.received and run.received
              else EdiDocument.Status.PARTIALLY_ACCEPTED if run.accepted else EdiDocument.Status.REJECTED)
    EdiDocument.objects.filter(pk=document.pk).update(status=status, detail={
        "transactions": run.received, "accepted": run.accepted, "createdOrderIds": run.created})
    document.status = status
    return InboundResult(document=document, acknowledgement=ack, created_order_ids=run.created)
