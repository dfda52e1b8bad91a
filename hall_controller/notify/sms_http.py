"""SMS through an HTTP platform: one JSON POST per message.

Body: ``{"message_id", "to", "sign", "template", "params", "text"}`` — platforms that send pre-approved
templates (every mainland platform does: 短信模板) use ``template`` and ``params``; a relay that sends free
text uses ``text``. A 2xx answer is success (its JSON ``id``, if any, is kept as the platform's id); 429 and
5xx may pass later; any other status is final. The vendors' SDKs are not used: a hall usually sends through
its province's 政务短信平台, and a thin relay in front of any vendor speaks this shape.
"""

from __future__ import annotations

import httpx

from hall_controller.notify.config import SmsHttpGateway, read_secret
from hall_controller.notify.gateway import Channel, DeliveryError, Outgoing, error_for_status, error_for_transport


class SmsHttp:
    channel = Channel.SMS

    def __init__(self, config: SmsHttpGateway, *, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.name = f"sms-http {httpx.URL(config.url).host}"
        token = read_secret(config.token_file)
        headers = {}
        if token:
            headers[config.auth_header] = f"{config.auth_scheme} {token}".strip()
        self._client = client or httpx.AsyncClient(timeout=config.timeout_s, headers=headers)

    async def send(self, message: Outgoing) -> str:
        notice = message.notice
        body = {
            "message_id": message.message_id,
            "to": message.to,
            "sign": self.config.sign_name,
            "template": self.config.templates.get(notice.kind.value, ""),
            "params": notice.params,
            "text": notice.text(),
        }
        try:
            response = await self._client.post(self.config.url, json=body)
        except httpx.HTTPError as err:
            raise error_for_transport(err) from err
        if not response.is_success:
            raise error_for_status(response)
        try:
            answer = response.json()
        except ValueError:
            return ""
        if isinstance(answer, dict):
            if answer.get("ok") is False:
                raise DeliveryError(f"refused ({str(answer.get('code', ''))[:40]})", retryable=False)
            return str(answer.get("id", ""))[:100]
        return ""

    async def aclose(self) -> None:
        await self._client.aclose()
