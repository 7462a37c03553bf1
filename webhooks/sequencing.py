"""Event sequences without a platform-wide lock, and the rule that keeps the feed in order.

The contract (5.1): a reader that has seen sequence N never later receives an event with a
sequence ≤ N. Handing out sequences from one counter row, locked until commit, keeps that
rule trivially but serialises every event-emitting transaction of the platform.

On PostgreSQL a database sequence hands them out instead, and events may then commit out of
sequence order. Each event stores a *horizon*, computed after its sequence was drawn: one past
every xid of this database's running transactions. A transaction takes its own xid before it
draws a sequence, so any transaction still running that drew a smaller sequence has an xid
below the horizon (one that had finished is visible to whoever can see this event).

A reader passes an event only once its *watermark* has reached the event's horizon: the
oldest xid of this database still running (``pg_stat_activity.backend_xid``, the reader's own
transaction aside), capped by the first xid not yet assigned. Every transaction that could
still commit a smaller sequence has then finished, and its event (if it committed) is visible
to the reader's next statement, which reads the rows (READ COMMITTED, Django's default).
Readers stop at the first event they may not pass yet, so they never skip one and come back
for it. The snapshot's ``xmin`` would do as a watermark, but it is cluster-wide: a long
transaction in another database of the same server would hold every feed back, and a reader
inside a writing transaction could never read past its own xid.

Why not the event's own xid (``xid < xmin``)? A transaction takes its xid at its first write
(a stock lock), long before it draws a sequence: one with an old xid can draw a larger
sequence than one with a newer xid that is still running, commit, and be passed by a reader
that would then miss the smaller one (``tests/test_events_sequencing.py`` shows the case).

An event is held back from readers for as long as the oldest transaction that was running
when it was written (usually milliseconds). SQLite has one writer at a time: it keeps the
counter row, every horizon is 0 and the rule reduces to ``sequence > after``.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from webhooks.models import EventCounter

SEQUENCE = "webhooks_event_sequence_seq"
_MAX = 9223372036854775807
# This database's running xids (``backend_xid`` is 32 bits: widened with the epoch of the
# snapshot's xmax). Read live from the backends (the transaction's statistics snapshot is
# cleared first by the callers).
_RUNNING = """
SELECT CASE WHEN w.x > w.xmax + 2147483648 THEN w.x - 4294967296 ELSE w.x END AS x FROM (
  SELECT (s.xmax - (s.xmax & 4294967295)) + a.backend_xid::text::bigint AS x, s.xmax
  FROM pg_stat_activity a, (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax) s
  WHERE a.datname = current_database() AND a.backend_xid IS NOT NULL {extra}) w"""
# One past every xid of this database running now (this transaction's own included).
_HORIZON = f"(SELECT GREATEST(pg_current_xact_id()::text::bigint, MAX(r.x)) + 1 FROM ({_RUNNING.format(extra='')}) r)"
# The oldest xid of this database that may still be running, the reader's own aside, capped by
# the first xid not assigned before this statement.
_WATERMARK = f"""
SELECT LEAST(GREATEST(pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
                      COALESCE(pg_current_xact_id_if_assigned()::text::bigint + 1, 0)),
             (SELECT MIN(r.x) FROM ({_RUNNING.format(extra="AND a.pid <> pg_backend_pid()")}) r))"""


def uses_sequence() -> bool:
    return connection.vendor == "postgresql"


def sequence_next() -> tuple[int, RawSQL | int]:
    """(sequence, horizon) for a new event, inside the caller's transaction.

    The horizon is an expression: the INSERT that stores it evaluates it after this statement
    drew the sequence, which the rule above needs.
    """
    sequences, horizon = sequences_next(1)
    return sequences[0], horizon


def sequences_next(count: int) -> tuple[list[int], RawSQL | int]:
    """``sequence_next`` for ``count`` events of one transaction, in one statement (ascending)."""
    if not uses_sequence():
        last = _counter_next(count)
        return list(range(last - count + 1, last + 1)), 0
    with connection.cursor() as cursor:
        # pg_current_xact_id() first: this transaction's xid exists before its sequences do.
        cursor.execute(f"SELECT pg_current_xact_id(), nextval('{SEQUENCE}'), pg_stat_clear_snapshot() "
                       f"FROM generate_series(1, %s)", [count])
        sequences = sorted(row[1] for row in cursor.fetchall())
    return sequences, RawSQL(_HORIZON, [])


def _counter_next(count: int = 1) -> int:
    """The last of ``count`` values taken from the counter row."""
    # UPDATE takes the counter's row lock and holds it to commit: sequence order is commit order.
    table = EventCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET value = value + %s WHERE id = 1 RETURNING value", [count])
        row = cursor.fetchone()
        if row is None:
            EventCounter.objects.get_or_create(pk=1, defaults={"value": 0})
            cursor.execute(f"UPDATE {table} SET value = value + %s WHERE id = 1 RETURNING value", [count])
            row = cursor.fetchone()
    return row[0]


def passable(qs: QuerySet, *, after: int, field: str = "sequence") -> QuerySet:
    """``qs`` (events or audience rows) limited to what a reader at ``after`` may pass now.

    Two statements: the reader's watermark first, then the rows (whose later snapshot sees
    every transaction that had finished when the watermark was taken).
    """
    qs = qs.filter(**{f"{field}__gt": after})
    if not uses_sequence():
        return qs
    with connection.cursor() as cursor:
        if connection.in_atomic_block:  # backends' state is cached per transaction
            cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(_WATERMARK)
        watermark = cursor.fetchone()[0]
    # The first event after the cursor that a transaction still running may precede: the
    # reader stops before it.
    bound = RawSQL("(SELECT COALESCE(MIN(e.sequence), %s) FROM webhooks_event e WHERE e.horizon > %s"
                   " AND e.sequence > %s)", [_MAX, watermark, after])
    return qs.filter(**{f"{field}__lt": bound})


def sequence_newest() -> int:
    """The newest sequence handed out (committed or not): what metrics call the outbox head."""
    if not uses_sequence():
        return EventCounter.objects.filter(pk=1).values_list("value", flat=True).first() or 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {SEQUENCE}")
        return cursor.fetchone()[0]
