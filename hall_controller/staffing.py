"""Staffing advice: how many windows to open each hour so that waits stay within target.

The forecast is the hall's history by weekday and hour (the mean count of arrivals in that hour over the
past days of that weekday). Each hour is then treated as a stationary queue with ``n`` windows:

- **Erlang-A** (M/M/n+M, Palm 1943; Garnett, Mandelbaum & Reiman 2002): Poisson arrivals at rate λ,
  exponential service at rate μ per window, exponential patience at rate θ (people who leave). Computed
  exactly from the birth-death chain of the number present (truncated where its probability is below
  1e-12). For a citizen who finds ``q`` people waiting, the time until a window takes them, had they
  infinite patience, is a sum of exponentials with rates nμ + kθ, k = q … 0 (each of the q ahead leaves by
  service or abandonment). With α = nμ/θ and x = e^(−θt), ``−ln(B)/θ`` for B ~ Beta(α, q + 1) has that
  law, so P(V > t) = I_x(α, q + 1) = x^α Σ_{j=0..q} (α)_j / j! · (1 − x)^j
  (a finite sum, no special functions needed). They are served with probability α / (α + q + 1).
- **Erlang-C** (M/M/n, θ = 0): P(wait > t) = C(n, λ/μ) · e^(−(nμ − λ)t), finite only when λ < nμ.

``advise`` picks, for each hour, the fewest windows whose share of citizens reaching a window within the
target (P(V ≤ target)) is at least the service level and whose abandonment stays under its cap. The
model ignores the queue carried over from the previous hour and breaks; the simulator (``bench/hallsim``)
compares its predictions with simulated days.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

_EPS = 1e-12


class Performance(msgspec.Struct, frozen=True, kw_only=True):
    """A queue's long-run figures with ``windows`` servers."""

    windows: int
    p_wait: float  # an arrival finds every window busy
    within_target: float  # P(V ≤ target): one who would wait as long as needed reaches a window in time
    mean_wait_s: float  # until served or gone
    abandon: float  # share who leave before being served
    occupancy: float  # mean share of windows busy


class HourAdvice(msgspec.Struct, frozen=True, kw_only=True):
    hour: int  # local hour of day, 0-23 (with buckets shorter than an hour: the bucket's start, in minutes)
    arrivals: float  # forecast for the bucket
    windows: int
    within_target: float
    mean_wait_s: float
    abandon: float
    occupancy: float


def erlang_c(windows: int, load: float) -> float:
    """Probability that an arrival waits in M/M/``windows`` with offered ``load`` = λ/μ (1 when load ≥ n)."""
    if windows <= 0 or load >= windows:
        return 1.0
    if load <= 0:
        return 0.0
    # Erlang B by its stable recursion, then C from B.
    b = 1.0
    for k in range(1, windows + 1):
        b = load * b / (k + load * b)
    rho = load / windows
    return b / (1 - rho + rho * b)


def erlang_c_performance(windows: int, rate: float, service_rate: float, target_s: float) -> Performance:
    """M/M/n figures (no abandonment). An unstable queue (λ ≥ nμ) waits without bound."""
    load = rate / service_rate
    if windows <= 0 or load >= windows:
        return Performance(
            windows=windows, p_wait=1.0, within_target=0.0, mean_wait_s=math.inf, abandon=0.0, occupancy=1.0
        )
    c = erlang_c(windows, load)
    gap = windows * service_rate - rate
    return Performance(
        windows=windows,
        p_wait=c,
        within_target=1 - c * math.exp(-gap * target_s),
        mean_wait_s=c / gap,
        abandon=0.0,
        occupancy=load / windows,
    )


def _stationary(windows: int, rate: float, service_rate: float, patience_rate: float) -> list[float]:
    """Probabilities of 0, 1, 2, … present in M/M/n+M, truncated where negligible."""
    weights = [1.0]
    j = 0
    while True:
        j += 1
        death = min(j, windows) * service_rate + max(j - windows, 0) * patience_rate
        weights.append(weights[-1] * rate / death)
        if j > windows and weights[-1] < _EPS * max(weights):
            break
        if weights[-1] > 1e250:  # rescale to stay finite on very large halls
            weights = [w * 1e-250 for w in weights]
    total = sum(weights)
    return [w / total for w in weights]


def erlang_a(
    windows: int, rate: float, service_rate: float, patience_rate: float, target_s: float
) -> Performance:
    """M/M/n+M figures (rates per second; ``patience_rate`` = 1 / mean patience)."""
    if patience_rate <= 0:
        return erlang_c_performance(windows, rate, service_rate, target_s)
    if windows <= 0:
        return Performance(
            windows=0, p_wait=1.0, within_target=0.0, mean_wait_s=1 / patience_rate, abandon=1.0, occupancy=0.0
        )
    pi = _stationary(windows, rate, service_rate, patience_rate)
    n_mu, theta = windows * service_rate, patience_rate
    alpha = n_mu / theta
    x = math.exp(-theta * target_s)
    log_x, log_1x = math.log(x), math.log1p(-x)
    p_wait = sum(pi[windows:])
    late = 0.0  # P(V > target)
    served = 0.0
    mean_wait = 0.0
    log_term = alpha * log_x  # j = 0 term of the incomplete beta sum
    tail = math.exp(log_term)
    reach, stage_wait = 1.0, 0.0  # for q = 0: one stage, rate n·μ + θ
    for q, p in enumerate(pi[windows:]):
        if q > 0:
            log_term += math.log((alpha + q - 1) / q) + log_1x
            tail += math.exp(log_term)
        # E[min(V_q, patience)] through the stages k = q, …, 0; computed as a recursion on q
        # (adding one person ahead adds a first stage before the same tail).
        first = n_mu + (q + 1) * theta
        stage_wait = 1 / first + (n_mu + q * theta) / first * stage_wait if q > 0 else 1 / (n_mu + theta)
        reach = alpha / (alpha + q + 1)
        late += p * min(tail, 1.0)
        served += p * reach
        mean_wait += p * stage_wait
    busy = sum(min(j, windows) * pj for j, pj in enumerate(pi))
    abandon = p_wait - served
    return Performance(
        windows=windows,
        p_wait=p_wait,
        within_target=1 - late,
        mean_wait_s=mean_wait,
        abandon=max(abandon, 0.0),
        occupancy=busy / windows,
    )


def windows_needed(
    rate: float,
    mean_service_s: float,
    target_s: float,
    *,
    service_level: float = 0.8,
    max_abandon: float = 0.05,
    mean_patience_s: float | None = None,
    max_windows: int = 500,
) -> Performance:
    """The fewest windows (at least 1) whose share within ``target_s`` is at least ``service_level`` and
    whose abandonment is at most ``max_abandon`` (with long patience, an understaffed hall keeps most waits
    short only by losing people, so the service level alone would advise too few).

    ``rate`` is arrivals per second; ``mean_patience_s`` None means nobody leaves (Erlang-C)."""
    service_rate = 1 / mean_service_s
    theta = 1 / mean_patience_s if mean_patience_s else 0.0
    n = max(1, math.floor(rate / service_rate * 0.8))
    while True:
        perf = erlang_a(n, rate, service_rate, theta, target_s)
        if (perf.within_target >= service_level and perf.abandon <= max_abandon) or n >= max_windows:
            return perf
        n += 1


def hourly_forecast(
    arrivals: Iterable[float], weekday: int, tz: str = "Asia/Shanghai", *, bucket_min: int = 60
) -> dict[int, float]:
    """Mean arrivals per local hour over the past days that fell on ``weekday`` (0 = Monday).

    ``arrivals`` are epoch seconds of tickets taken (first steps). A day counts once it has any arrival.
    With ``bucket_min`` below 60 the keys are the buckets' starts in minutes of the day: a peak or an
    issuing stop inside an hour then is not spread over the whole hour."""
    zone = ZoneInfo(tz)
    counts: dict[int, int] = {}
    days: set[str] = set()
    for ts in arrivals:
        local = datetime.fromtimestamp(ts, zone)
        if local.weekday() != weekday:
            continue
        days.add(local.date().isoformat())
        key = local.hour if bucket_min == 60 else (local.hour * 60 + local.minute) // bucket_min * bucket_min
        counts[key] = counts.get(key, 0) + 1
    if not days:
        return {}
    return {hour: n / len(days) for hour, n in sorted(counts.items())}


def advise(
    forecast: dict[int, float],
    mean_service_s: float,
    target_s: float,
    *,
    service_level: float = 0.8,
    max_abandon: float = 0.05,
    mean_patience_s: float | None = None,
    bucket_min: int = 60,
) -> list[HourAdvice]:
    """Windows to open in each bucket of the forecast (arrivals per bucket, ``hourly_forecast``) to keep
    waits within target."""
    out = []
    for hour, arrivals in sorted(forecast.items()):
        perf = windows_needed(
            arrivals / (bucket_min * 60),
            mean_service_s,
            target_s,
            service_level=service_level,
            max_abandon=max_abandon,
            mean_patience_s=mean_patience_s,
        )
        out.append(
            HourAdvice(
                hour=hour,
                arrivals=arrivals,
                windows=perf.windows,
                within_target=perf.within_target,
                mean_wait_s=perf.mean_wait_s,
                abandon=perf.abandon,
                occupancy=perf.occupancy,
            )
        )
    return out
