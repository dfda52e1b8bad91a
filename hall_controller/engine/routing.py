"""Crowd routing (智能分流): which ticket a free window calls, and why.

``choose(state, window_id, now)`` returns the queue key to call with its reason (kept in the
``TicketCalled`` event, so the console and the audit log show it). Three rules, in this order:

1. **Bounds.** A queue head past its deadline (``order_time`` + its class's maximum wait) is called first,
   the earliest deadline among them. No class waits past its bound while a window that can serve it calls.
   Under ``onevisit`` a head is due one expected service time before its deadline, since the next window
   to free up may be that far away.
2. **Across the services the window can serve**, by their queue heads:
   - ``skill-tiers``: the highest skill weight with anyone waiting, then the earliest deadline
     (``selection.py``, the configured default);
   - ``onevisit``: the head with the highest urgency
     ``weight × (waited + 1 min) / (expected service × target)``: a generalised cμ rule (van Mieghem 1995)
     with a delay cost that grows with the wait relative to the service's target. A short service is called
     sooner, so fewer people wait behind it, and a long one's urgency keeps growing with its wait, so it is
     never starved (and rule 1 caps it anyway). ``target`` is the shorter of the service's target wait and
     the ticket's class bound; the expected service time is the one learned today (``ServiceStats``).
3. **Class ratio** (``routing.class_ratio``, e.g. 2 normal : 1 priority). Inside the chosen service, while
   both ordinary and priority tickets (green channel, appointment, VIP) wait, calls alternate so that each
   class gets its share; inside a class, the earliest deadline. Counters per service (``EngineState.turns``)
   are kept only while both classes wait, so a class cannot bank turns while the other is absent.

Scans for the first ticket of a class stop after ``SCAN`` keys from the head: priority tickets have short
bounds, so they sit near the front; past the limit the class counts as absent and the ratio does not apply.
Cost: O(skills) per call (the keys carry order time and deadline, so no ticket is looked up), plus one
class scan of the chosen queue when a ratio is set.
"""

from __future__ import annotations

from typing import NamedTuple

from hall_controller.engine.state import EngineState, QueueKey
from hall_protocol.tickets import Priority

SCAN = 64
HEAD_START_S = 60.0  # a ticket that has just arrived still has some urgency


class Choice(NamedTuple):
    key: QueueKey
    reason: str
    reason_zh: str
    turns: tuple[int, int] | None  # the service's new (normal, priority) counters; None: unchanged


class _Head(NamedTuple):
    service: str
    weight: float
    key: QueueKey


def choose(state: EngineState, window_id: str, now: float) -> Choice | None:
    """The ticket ``window_id`` calls next, or None when nobody waits for its services."""
    rules = state.config.routing
    onevisit = rules.call_order == "onevisit"
    queues, stats, targets, reserved = state.queues, state.stats, state.index.target_s, state.reserved
    if reserved:
        # A ticket transferred to this window by name waits for it alone, and it calls such tickets first.
        held = [state.tickets[tid].key for tid, w in reserved.items() if w == window_id]
        if held:
            key = min(held)
            t = state.tickets[key[3]]
            return _choice(state, key, key, f"{t.number} was transferred to this window",
                           f"{t.number}已转至本窗口", None)
    # One pass over the window's queue heads, no allocation per head: this runs on every call-next.
    due: _Head | None = None
    oldest: _Head | None = None
    best: _Head | None = None
    best_rank = 0.0  # onevisit: urgency; skill-tiers: weight
    for weight, service in state.index.window_skills[window_id]:
        q = queues[service]
        if not q:
            continue
        first = q.first()
        assert first is not None
        if reserved and first[3] in reserved:  # rare: walk past the tickets sent to other windows
            first = next((k for k in q if k[3] not in reserved), None)
            if first is None:
                continue
        key = first
        deadline, order_time = key[0], key[1]
        if onevisit:
            mean = stats[service].mean
            # OneVisit calls a head one expected service time before its deadline: a window freeing up
            # later would call it too late.
            is_due = deadline - mean <= now
            target = min(targets[service], deadline - order_time)
            rank = weight * (max(now - order_time, 0.0) + HEAD_START_S) / (mean * target)
        else:
            is_due = deadline <= now
            rank = weight
        if is_due and (due is None or key < due.key):
            due = _Head(service, weight, key)
        if oldest is None or order_time < oldest.key[1] or (order_time == oldest.key[1] and key < oldest.key):
            oldest = _Head(service, weight, key)
        if best is None or rank > best_rank or (rank == best_rank and key < best.key):
            best, best_rank = _Head(service, weight, key), rank
    if best is None or oldest is None:
        return None
    if due is not None:
        t = state.tickets[due.key[3]]
        bound = state.index.bounds_s[t.priority] / 60
        if t.deadline <= now:
            why, why_zh = f"{t.number} past its {bound:.0f}-minute bound", f"{t.number}已超过{bound:.0f}分钟等候上限"
        else:
            left = (t.deadline - now) / 60
            why = f"{t.number} reaches its {bound:.0f}-minute bound in {left:.0f} min"
            why_zh = f"{t.number}再过{left:.0f}分钟将超过{bound:.0f}分钟等候上限"
        turns = _turns_after(state, due.service, due.key, rules.class_ratio)
        return _choice(state, due.key, oldest.key, why, why_zh, turns)
    key, turns = best.key, None
    if rules.class_ratio is not None:
        key, turns = _class_pick(state, best.service, best.key, rules.class_ratio)
    t = state.tickets[key[3]]
    if key != best.key:
        n, p = rules.class_ratio or (0, 0)
        turn, turn_zh = ("normal", "普通号") if t.priority is Priority.NORMAL else ("priority", "优先号")
        why, why_zh = f"class ratio {n}:{p}, {turn}'s turn", f"按{n}:{p}比例轮到{turn_zh}"
        return _choice(state, key, oldest.key, why, why_zh, turns)
    if key == oldest.key:
        return _choice(state, key, key, f"{t.number} waited longest", f"{t.number}等候最久", turns)
    o = state.tickets[oldest.key[3]]
    if best.weight > oldest.weight:
        why, why_zh = f"{t.service} is this window's main service", f"{t.service}为本窗口主办业务"
        return _choice(state, key, oldest.key, why, why_zh, turns)
    mine, theirs = stats[t.service].mean / 60, stats[o.service].mean / 60
    waited = (now - t.order_time) / 60
    if mine < theirs:
        why = f"shorter expected service ({mine:.0f} vs {theirs:.0f} min), waited {waited:.0f} min"
        why_zh = f"预计办理时间更短（{mine:.0f}对{theirs:.0f}分钟），已等{waited:.0f}分钟"
    elif t.priority is not Priority.NORMAL:
        why, why_zh = f"{t.priority} class, waited {waited:.0f} min", f"优先类别，已等{waited:.0f}分钟"
    else:
        target = _target_s(state, best) / 60
        why = f"closer to its {target:.0f}-minute target, waited {waited:.0f} min"
        why_zh = f"更接近{target:.0f}分钟目标，已等{waited:.0f}分钟"
    return _choice(state, key, oldest.key, why, why_zh, turns)


def _choice(
    state: EngineState, key: QueueKey, other: QueueKey, why: str, why_zh: str, turns: tuple[int, int] | None
) -> Choice:
    number = state.tickets[key[3]].number
    if key == other:
        return Choice(key, f"called {number}: {why}", f"呼叫{number}：{why_zh}", turns)
    before = state.tickets[other[3]].number
    return Choice(key, f"called {number} before {before}: {why}", f"先呼{number}后呼{before}：{why_zh}", turns)


def _target_s(state: EngineState, h: _Head) -> float:
    """The shorter of the service's target wait and the head's class bound (deadline − order time)."""
    return min(state.index.target_s[h.service], h.key[0] - h.key[1])


def _first_of_classes(state: EngineState, service: str) -> tuple[QueueKey | None, QueueKey | None]:
    """The first ordinary and the first priority ticket within ``SCAN`` keys of the head."""
    normal: QueueKey | None = None
    prio: QueueKey | None = None
    tickets = state.tickets
    bound = state.index.bounds_s[Priority.NORMAL]
    by_key = state.index.normal_bound_unique
    for key in state.queues[service].head(SCAN):
        # a key's deadline is its order time plus its class bound: when no other class shares the normal
        # bound, the key tells the class without looking the ticket up
        if abs(key[0] - key[1] - bound) < 1e-3 if by_key else tickets[key[3]].priority is Priority.NORMAL:
            if normal is None:
                normal = key
        elif prio is None:
            prio = key
        if normal is not None and prio is not None:
            break
    return normal, prio


def _class_pick(
    state: EngineState, service: str, head: QueueKey, ratio: tuple[int, int]
) -> tuple[QueueKey, tuple[int, int]]:
    """The ticket of the class whose turn it is in ``service``, and the service's counters after it."""
    normal, prio = _first_of_classes(state, service)
    if normal is None or prio is None:
        return head, (0, 0)
    n_done, p_done = state.turns.get(service, (0, 0))
    n_quota, p_quota = ratio
    if p_done * n_quota <= n_done * p_quota:
        return prio, (n_done, p_done + 1)
    return normal, (n_done + 1, p_done)


def _turns_after(
    state: EngineState, service: str, key: QueueKey, ratio: tuple[int, int] | None
) -> tuple[int, int] | None:
    """The service's counters after calling ``key`` out of turn (a due ticket)."""
    if ratio is None:
        return None
    normal, prio = _first_of_classes(state, service)
    if normal is None or prio is None:
        return (0, 0)
    n_done, p_done = state.turns.get(service, (0, 0))
    return (n_done + 1, p_done) if key == normal else (n_done, p_done + 1)
