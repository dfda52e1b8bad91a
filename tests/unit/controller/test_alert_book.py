"""Alert episodes: one id while an alert holds, a new one when it ends and comes back, the same after a restart
for alerts that date themselves."""

from __future__ import annotations

from hall_controller.alert_book import AlertBook
from hall_controller.engine.alerts import Alert, AlertKind


def _over(since: float, ticket: str = "t1") -> Alert:
    return Alert(kind=AlertKind.TICKET_OVER_TARGET, since=since, value=0, limit=0, message_zh="", message_en="",
                 service="S1", ticket_id=ticket)


def _queue(now: float) -> Alert:
    return Alert(kind=AlertKind.QUEUE_OVER_THRESHOLD, since=now, value=40, limit=30, message_zh="", message_en="",
                 service="S1")


def test_an_alert_keeps_its_id_while_it_holds() -> None:
    book = AlertBook()
    book.observe([_over(100.0), _queue(200.0)], 200.0)
    ids = [a.alert_id for a in book.current]
    assert ids == ["ticket-over-target/S1/t1@100", "queue-over-threshold/S1@200"]
    version = book.version
    book.observe([_over(100.0), _queue(205.0)], 205.0)
    assert [a.alert_id for a in book.current] == ids
    assert book.version == version
    assert book.get(ids[1]) is not None
    assert book.get("nope") is None


def test_an_alert_that_ends_and_comes_back_is_a_new_episode() -> None:
    book = AlertBook()
    book.observe([_over(100.0), _queue(200.0)], 200.0)
    book.observe([], 205.0)
    assert book.current == ()
    # the same ticket waits past its target again (a recycled no-show): same dating, a new episode
    book.observe([_over(100.0), _queue(210.0)], 210.0)
    assert [a.alert_id for a in book.current] == ["ticket-over-target/S1/t1@210", "queue-over-threshold/S1@210"]
    # a new alert between two scans is dated by itself
    book.observe([_over(100.0), _queue(215.0), _over(212.0, "t2")], 215.0)
    assert book.current[2].alert_id == "ticket-over-target/S1/t2@212"


def test_after_a_restart_dated_alerts_keep_their_id() -> None:
    before, after = AlertBook(), AlertBook()
    before.observe([_over(100.0)], 200.0)
    after.observe([_over(100.0)], 900.0)
    assert before.current[0].alert_id == after.current[0].alert_id
