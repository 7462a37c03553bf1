"""Events commit out of sequence order on PostgreSQL; readers still never pass one (contract 5.1).

Each test holds real transactions open in threads (their own connections) and reads the feed
between their commits. The ``naive`` reads show that the race really happened: a plain
``sequence > cursor`` read sees the later event first, which is what the feed must not do.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from partners.models import Supplier
from tests.conftest import problem
from tests.test_events_feed import feed
from webhooks import selectors
from webhooks.models import Event
from webhooks.services import event_emit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WAIT = 20


class Writer:
    """A transaction in a thread: emits when told, then commits or rolls back when told."""

    def __init__(self, pool: ThreadPoolExecutor, supplier_id: int, n: int, *, xid_first: bool = False):
        self.supplier_id, self.n, self.xid_first = supplier_id, n, xid_first
        self.started, self.emit_now, self.emitted, self.finish = (threading.Event() for _ in range(4))
        self.rollback = False
        self.sequence = None
        self.future = pool.submit(self._run)

    def _run(self):
        try:
            with transaction.atomic():
                if self.xid_first:  # an xid taken early, as a stock lock does, long before the event
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_current_xact_id()")
                self.started.set()
                assert self.emit_now.wait(WAIT)
                self.sequence = event_emit(type="inventory.updated", data={"n": self.n},
                                           supplier_ids=[self.supplier_id]).sequence
                self.emitted.set()
                assert self.finish.wait(WAIT)
                transaction.set_rollback(self.rollback)
        finally:
            connection.close()

    def emit(self):
        self.emit_now.set()
        assert self.emitted.wait(WAIT)

    def commit(self, rollback=False):
        self.rollback = rollback
        self.finish.set()
        self.future.result(WAIT)


def brand_read(after):
    return [e.sequence for e in selectors.feed_page(audience=None, after=after, limit=100)[0]]


def naive(after):
    return list(Event.objects.filter(sequence__gt=after).order_by("sequence").values_list("sequence", flat=True))


def supplier_read(caller, after):
    return [e["sequence"] for e in feed(caller, f"?after={after}")["results"]]


def test_a_reader_between_out_of_order_commits_never_misses_the_earlier_event(supplier_caller):
    sup = Supplier.objects.get(code="SUP123").pk
    start = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = Writer(pool, sup, 1), Writer(pool, sup, 2)
        first.emit()
        second.emit()
        assert first.sequence < second.sequence
        second.commit()
        # The later-numbered event is committed and visible to a plain read...
        assert naive(start) == [second.sequence]
        # ...but no reader passes it while the earlier one may still commit.
        assert brand_read(start) == []
        assert supplier_read(supplier_caller, start) == []
        first.commit()
    assert brand_read(start) == [first.sequence, second.sequence]
    assert supplier_read(supplier_caller, start) == [first.sequence, second.sequence]


def test_an_early_xid_does_not_let_a_later_sequence_pass_a_running_transaction(supplier_caller):
    """The transaction that committed holds the older xid, the one still running the smaller sequence:
    "xid below the reader's xmin" alone would let the reader pass; the horizon does not."""
    sup = Supplier.objects.get(code="SUP123").pk
    start = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        older = Writer(pool, sup, 1, xid_first=True)
        assert older.started.wait(WAIT)
        running = Writer(pool, sup, 2)
        running.emit()
        older.emit()
        assert running.sequence < older.sequence
        older.commit()
        assert naive(start) == [older.sequence]
        assert brand_read(start) == []
        assert supplier_read(supplier_caller, start) == []
        running.commit()
    assert brand_read(start) == [running.sequence, older.sequence]


def test_a_rolled_back_sequence_leaves_a_gap_the_reader_steps_over_without_410(supplier_caller):
    sup = Supplier.objects.get(code="SUP123").pk
    with transaction.atomic():
        seen = event_emit(type="inventory.updated", data={"n": 0}, supplier_ids=[sup]).sequence
    with ThreadPoolExecutor(max_workers=2) as pool:
        lost, kept = Writer(pool, sup, 1), Writer(pool, sup, 2)
        lost.emit()
        kept.emit()
        kept.commit()
        assert supplier_read(supplier_caller, seen) == []
        lost.commit(rollback=True)
    assert not Event.objects.filter(sequence=lost.sequence).exists()
    assert supplier_read(supplier_caller, seen) == [kept.sequence]
    # A gap left by a rollback is not a deletion: the cursor stays valid...
    selectors.cursor_check(after=seen)
    # ...while deleting the event a cursor points at, and what follows it, still answers 410.
    Event.objects.filter(sequence__lte=kept.sequence).delete()
    with transaction.atomic():
        event_emit(type="inventory.updated", data={"n": 3}, supplier_ids=[sup])
    assert problem(supplier_caller.get(f"/api/v1/events?after={seen}"))["code"] == "cursor_expired"


def test_writes_to_different_items_do_not_wait_for_each_other_to_emit(supplier_caller):
    """No lock is held for the sequence: two open transactions both emit before either commits."""
    sup = Supplier.objects.get(code="SUP123").pk
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = Writer(pool, sup, 1), Writer(pool, sup, 2)
        a.emit()
        b.emit()  # with a counter row locked to commit, this would wait for a
        b.commit()
        a.commit()
    assert a.sequence != b.sequence
