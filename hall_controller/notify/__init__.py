"""Silent calling reaches the citizen's phone: SMS and WeChat messages fed by the engine's commits.

``service.NotificationService`` runs beside the engine (``ControllerService.commit_listeners``): the commit
and answer path never waits for it. ``decide`` plans messages from events (calls, recalls, no-shows, the
"you are next" pre-alert); gateways (``sms_http``, ``wechat``, ``simulator``) send them, with retries,
a rate limit and a delivery record per message (``store``). Phone numbers are sealed by the kiosk's agent,
kept encrypted for their day only (``keys``) and never logged in clear.
"""
