"""The SMS and WeChat adapters against a real HTTP server on loopback: the request they make, and how each
kind of trouble (timeout, 5xx, 429, refusal) comes back; then the notifier retrying through them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hall_controller.notify.config import SmsHttpGateway, WeChatGateway
from hall_controller.notify.gateway import DeliveryError, Outgoing
from hall_controller.notify.messages import Notice, NoticeKind
from hall_controller.notify.sms_http import SmsHttp
from hall_controller.notify.store import Status
from hall_controller.notify.wechat import WeChat
from tests.fixtures.notify_platform import fake_platform
from tests.unit.engine.helpers import Hall, cmd, hall_config
from tests.unit.notify.rig import PHONE, notifier
from tests.unit.notify.test_notifier import settle

pytestmark = pytest.mark.integration

CALLED = Notice(kind=NoticeKind.CALLED, ticket_id="t1", number="A001", hall_name="测试大厅", window="1号窗口",
                window_en="Window 1", at=1.0, local_time="2025-03-10 09:00")


def sms_config(url: str, tmp_path: Path, timeout_s: float = 0.5) -> SmsHttpGateway:
    token = tmp_path / "sms.token"
    token.write_text("s3cret\n")
    return SmsHttpGateway(url=url + "/sms", token_file=str(token), sign_name="测试大厅",
                          templates={"called": "SMS_001"}, timeout_s=timeout_s)


async def test_sms_posts_template_and_text_with_its_credential(tmp_path: Path) -> None:
    async with fake_platform() as platform:
        sms = SmsHttp(sms_config(platform.url, tmp_path))
        try:
            provider_id = await sms.send(Outgoing(message_id="m1", to=PHONE, notice=CALLED))
        finally:
            await sms.aclose()
    assert provider_id == "sms-1"
    sent = platform.sends("/sms")[0]
    assert sent.headers["authorization"] == "Bearer s3cret"
    assert sent.body == {"message_id": "m1", "to": PHONE, "sign": "测试大厅", "template": "SMS_001",
                         "params": {"number": "A001", "window": "1号窗口"},
                         "text": "【测试大厅】请A001号到1号窗口办理。"}


@pytest.mark.parametrize(("behaviour", "retryable", "retry_after", "reason"), [
    ("500", True, None, "platform error (500)"),
    ("429", True, 0.2, "rate-limited (429)"),
    ("400", False, None, "refused (400)"),
    ("slow", True, None, "timeout"),
])
async def test_sms_trouble_says_whether_to_try_again(tmp_path: Path, behaviour: str, retryable: bool,
                                                     retry_after: float | None, reason: str) -> None:
    async with fake_platform() as platform:
        platform.answer(behaviour)
        sms = SmsHttp(sms_config(platform.url, tmp_path, timeout_s=0.3))
        try:
            with pytest.raises(DeliveryError) as err:
                await sms.send(Outgoing(message_id="m1", to=PHONE, notice=CALLED))
        finally:
            await sms.aclose()
    assert (err.value.retryable, err.value.retry_after_s, err.value.reason) == (retryable, retry_after, reason)


@pytest.mark.parametrize("trouble", [("500", "503"), ("429", "429"), ("slow", "slow")])
async def test_the_notifier_retries_through_real_http_until_delivered(tmp_path: Path,
                                                                      trouble: tuple[str, str]) -> None:
    async with fake_platform() as platform:
        platform.answer(*trouble)
        gateway = SmsHttp(sms_config(platform.url, tmp_path, timeout_s=0.3))
        hall = Hall(hall_config(calling={"pre_alert_positions": 0}))
        async with notifier(tmp_path, gateways=[gateway], hall=hall) as rig:
            rig.hall.staff("W1")
            tid = await rig.issue()
            await rig.do(cmd.CallNext, window_id="W1")
            sends = await platform.wait_sends("/sms", 3)
            await settle(rig, lambda: rig.service.deliveries(tid)[0].status is Status.SENT)
            delivery = rig.service.deliveries(tid)[0]
    assert delivery.attempts == 3
    assert {s.body["message_id"] for s in sends} == {delivery.message_id}  # one message, tried three times


def wechat_config(url: str, tmp_path: Path) -> WeChatGateway:
    secret = tmp_path / "wx.secret"
    secret.write_text("app-secret")
    return WeChatGateway(appid="wx0123456789", secret_file=str(secret), template_id="TPL-1", page="pages/ticket",
                         api_base=url, timeout_s=0.5)


async def test_wechat_caches_its_token_and_renews_a_stale_one(tmp_path: Path) -> None:
    async with fake_platform() as platform:
        wx = WeChat(wechat_config(platform.url, tmp_path))
        try:
            message = Outgoing(message_id="m1", to="oPENIDabcdefgh", notice=CALLED)
            assert await wx.send(message)
            assert await wx.send(message)
            assert wx.token_fetches == 1  # cached between sends
            platform.valid_token = "rotated-elsewhere"  # another process renewed it: ours is stale
            assert await wx.send(message)
            assert wx.token_fetches == 2
            body = platform.sends("/cgi-bin/message/subscribe/send")[0].body
            assert body["touser"] == "oPENIDabcdefgh"
            assert body["template_id"] == "TPL-1"
            assert body["data"]["character_string1"] == {"value": "A001"}
            assert body["data"]["thing2"] == {"value": "1号窗口"}
            platform.answer("refused")
            with pytest.raises(DeliveryError) as refused:
                await wx.send(message)
            assert not refused.value.retryable
            platform.answer("busy")
            with pytest.raises(DeliveryError) as busy:
                await wx.send(message)
            assert busy.value.retryable
            assert await wx.openid_for_code("c0de") == "oPENIDc0dexyz"
            with pytest.raises(DeliveryError):
                await wx.openid_for_code("bad")
        finally:
            await wx.aclose()
    token_query = platform.sends("/cgi-bin/token")[0].query
    assert token_query == {"grant_type": "client_credential", "appid": "wx0123456789", "secret": "app-secret"}


async def test_a_wechat_subscription_from_the_phone_page_gets_the_call(tmp_path: Path) -> None:
    async with fake_platform() as platform:
        gateway = WeChat(wechat_config(platform.url, tmp_path))
        hall = Hall(hall_config(calling={"pre_alert_positions": 0}))
        async with notifier(tmp_path, gateways=[gateway], hall=hall) as rig:
            rig.hall.staff("W1")
            tid = await rig.issue(phone=None)
            assert await rig.service.subscribe_wechat(tid, "c0de")
            await rig.do(cmd.CallNext, window_id="W1")
            (sent,) = await platform.wait_sends("/cgi-bin/message/subscribe/send", 1)
            await settle(rig, lambda: rig.service.deliveries(tid)[0].status is Status.SENT)
    assert sent.body["touser"] == "oPENIDc0dexyz"
    assert sent.body["data"]["phrase3"] == {"value": "请到窗口"}
    assert rig.service.deliveries(tid)[0].to_masked == "oPEN****"
