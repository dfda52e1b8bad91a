"""The path a device's own messages take into the controller, retained ``device/{id}/state`` first: whatever a
device left there (it is delivered again on every controller start), the controller goes on.

- ``EnrollmentService.handle_device_message``: a presence or self-test message → a registry record or None.
- ``ControllerService._accept_one``: any topic, payload and properties → queued, handed on, or dropped; never
  an exception (``_accept`` would swallow it, so the test calls the inner function)."""

from __future__ import annotations

import asyncio
import logging
import time
import typing
from collections.abc import Sequence
from pathlib import Path

import aiomqtt
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hall_controller.core import ControllerCore
from hall_controller.engine.state import EngineState
from hall_controller.enrollment.ca import HallCA
from hall_controller.enrollment.registry import DeviceRecord, DeviceRegistry
from hall_controller.enrollment.service import EnrollmentService, EnrollmentSettings, init_state
from hall_controller.service import ControllerService
from hall_controller.store import Store
from hall_protocol import topics
from hall_protocol.codec import encode
from hall_protocol.devices import DeviceState, Role, SelfTestReport
from hall_protocol.hall_config import load_hall_config
from hall_protocol.tickets import IssueTicket
from hall_protocol.topics import RpcService
from tests.unit.security.strategies import DEEP, hostile

ROOT = Path(__file__).resolve().parents[3]
CONFIG = load_hall_config(ROOT / "configs/demo/hall.toml")
HALL = CONFIG.hall.id


class NoBroker:
    async def add_device(self, hall: str, device_id: str, role: Role, zone: str, password: str,
                         *, text_name: str = "") -> None:
        raise AssertionError("not used here")

    async def remove_device(self, device_id: str) -> None:
        raise AssertionError("not used here")

    async def suspend_device(self, device_id: str) -> None:
        raise AssertionError("not used here")

    async def resume_devices(self, device_ids: Sequence[str]) -> None:
        raise AssertionError("not used here")


@pytest.fixture(scope="module")
def enrolment(tmp_path_factory: pytest.TempPathFactory) -> tuple[EnrollmentService, str]:
    state = tmp_path_factory.mktemp("state")
    settings = EnrollmentSettings(hall="h1", db_path=state / "hall.db", state_dir=state)
    init_state(settings)
    service = EnrollmentService(settings, DeviceRegistry(settings.db_path), HallCA.open(state / "ca"), NoBroker())
    device = service.registry.create_slot(Role.KIOSK, "A", "k", time.time()).device_id
    service.registry.record_enrolment(device, "ab", time.time() + 1e6, time.time())
    return service, device


payloads = st.one_of(hostile(DeviceState), hostile(SelfTestReport), st.sampled_from(sorted(DEEP.values())))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(st.data())
def test_any_presence_or_event_message_is_recorded_or_ignored(enrolment: tuple[EnrollmentService, str],
                                                              data: st.DataObject) -> None:
    service, device = enrolment
    device_id = data.draw(st.sampled_from([device, "ghost", "a/b", "", "+", "#"]) | st.text(max_size=70))
    leaf = data.draw(st.sampled_from(["state", "events", "telemetry"]) | st.text(max_size=10))
    result = service.handle_device_message(device_id, leaf, data.draw(payloads))
    assert result is None or isinstance(result, DeviceRecord)


@pytest.mark.parametrize("payload", sorted(DEEP))
def test_a_deeply_nested_retained_state_is_logged_and_ignored(
    enrolment: tuple[EnrollmentService, str], payload: str, caplog: pytest.LogCaptureFixture
) -> None:
    service, _ = enrolment
    with caplog.at_level(logging.WARNING):  # a device id of its own: the log keeps one line per device a while
        assert service.handle_device_message(f"deep-{payload}", "state", DEEP[payload]) is None
    assert "nested" in caplog.text


# -- the controller's receiving end ------------------------------------------------------------------

CORE = ControllerCore(EngineState.initial(CONFIG, time.time()))
KIOSK, SCREEN = "kiosk-1", "screen-1"  # devices of the demo hall.toml

device_topics = st.sampled_from([
    topics.rpc(HALL, KIOSK, RpcService.TICKET), topics.rpc(HALL, KIOSK, RpcService.WINDOW),
    topics.rpc(HALL, SCREEN, RpcService.DEVICE), topics.rpc(HALL, "stranger", RpcService.TICKET),
    topics.device_state(HALL, KIOSK), topics.device_events(HALL, KIOSK), topics.device_telemetry(HALL, KIOSK),
    topics.device_reply(HALL, KIOSK), topics.hall_state(HALL), f"ov/v1/{HALL}/device/{KIOSK}/rpc/nope",
])
response_topics = st.one_of(
    st.none(),
    st.sampled_from([topics.device_reply(HALL, KIOSK), topics.device_reply(HALL, SCREEN), topics.hall_state(HALL),
                     f"ov/v1/{HALL}/device/+/reply", "#", "+", topics.device_cmd(HALL, KIOSK), ""]),
    st.text(max_size=40),
)


def message(topic: str, payload: bytes, response_topic: str | None, correlation: bytes | None,
            user: list[tuple[str, str]]) -> aiomqtt.Message:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    if response_topic is not None:
        props.ResponseTopic = response_topic
    if correlation is not None:
        props.CorrelationData = correlation
    if user:
        props.UserProperty = user
    return aiomqtt.Message(topic, payload, qos=1, retain=False, mid=1, properties=props)


async def accept(msg: aiomqtt.Message) -> tuple[ControllerService, list[tuple[str, str, bytes]]]:
    seen: list[tuple[str, str, bytes]] = []

    async def on_device(device_id: str, leaf: topics.DeviceLeaf, payload: bytes) -> None:
        seen.append((device_id, str(leaf), payload))

    # _accept_one never touches the store: it only queues
    service = ControllerService(CORE, typing.cast(Store, object()), on_device=on_device)
    service._accept_one(msg)
    await asyncio.gather(*service._tasks)
    return service, seen


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    device_topics | st.text(max_size=60),
    st.one_of(hostile(IssueTicket), hostile(DeviceState), st.sampled_from(sorted(DEEP.values()))),
    response_topics,
    st.none() | st.binary(max_size=20),
    st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=3),
)
def test_any_message_is_queued_handed_on_or_dropped(
    topic: str, payload: bytes, response_topic: str | None, correlation: bytes | None, user: list[tuple[str, str]]
) -> None:
    try:
        msg = message(topic, payload, response_topic, correlation, user)
    except ValueError:  # the broker never delivers a topic aiomqtt refuses (wildcards, empty)
        assume(False)
        raise
    service, seen = asyncio.run(accept(msg))
    try:
        parsed = topics.parse(topic)
    except ValueError:
        parsed = None
    queued = service._queue.size
    if parsed is not None and parsed.is_rpc() and response_topic == topics.device_reply(HALL, parsed.name):
        assert queued == 1  # the request, or the error answer to it
    else:
        assert queued == 0  # nothing is ever answered to a topic other than the sender's own reply topic
    if parsed is not None and parsed.leaf in (topics.DeviceLeaf.STATE, topics.DeviceLeaf.EVENTS):
        assert seen == [(parsed.name, str(parsed.leaf), payload)]
    else:
        assert seen == []


def test_a_request_answered_to_any_other_topic_is_not_acted_on() -> None:
    request = encode(IssueTicket(request_id="r", service="SB-CARD"))
    own = topics.device_reply(HALL, KIOSK)
    for response_topic in (None, "", "#", "+", f"ov/v1/{HALL}/device/+/reply", topics.device_reply(HALL, SCREEN),
                           topics.hall_state(HALL), topics.device_cmd(HALL, KIOSK), own + "/x"):
        service, _ = asyncio.run(accept(message(topics.rpc(HALL, KIOSK, RpcService.TICKET), request,
                                                response_topic, b"c", [])))
        assert (service._queue.size, service.refused) == (0, 1), response_topic
    service, _ = asyncio.run(accept(message(topics.rpc(HALL, KIOSK, RpcService.TICKET), request, own, b"c", [])))
    assert service._queue.size == 1


class RecordingSwitch:
    def __init__(self) -> None:
        self.suspended: list[str] = []

    async def suspend_device(self, device_id: str) -> None:
        self.suspended.append(device_id)

    async def resume_devices(self, device_ids: Sequence[str]) -> None:
        raise AssertionError("not within the cool-down")


async def test_hostile_requests_cut_a_device_off_at_the_broker_and_valid_ones_at_any_volume_never() -> None:
    switch = RecordingSwitch()
    service = ControllerService(CORE, typing.cast(Store, object()), broker_switch=switch)
    own, rpc = topics.device_reply(HALL, KIOSK), topics.rpc(HALL, KIOSK, RpcService.TICKET)
    # an honest backlog arriving at once (after a controller outage): volume is no reason
    for i in range(2000):
        service._accept_one(message(rpc, encode(IssueTicket(request_id=f"r{i}", service="SB-CARD")), own, b"c", []))
    # an answer asked for elsewhere, a body that does not decode: hostile
    for _ in range(40):
        service._accept_one(message(rpc, b"{", own, b"c", []))
        service._accept_one(message(rpc, b"{}", "#", b"c", []))
    await asyncio.sleep(0)
    assert switch.suspended == [KIOSK]  # past the burst, once
    assert service.strikes.devices_cooling(time.monotonic()) == [KIOSK]
    for task in service._tasks:  # the cool-down's wait
        task.cancel()
