"""Prometheus metrics, computed at scrape time from the database and the broker.

Why not counters incremented in the worker: /metrics is served by the API process while the
sends happen in N workers, possibly on other machines. prometheus_client's multiprocess mode
only merges processes that share one directory on one host, so instead every figure is an
aggregate over the rows the workers already write (see `store.metrics`): exact, the same
from any API replica, and nothing is lost when a worker restarts.

    outage_notify_deliveries{channel,state}                 gauge: deliveries now in each state
    outage_notify_delivery_attempts_total{channel,outcome}  provider calls, by outcome (dry_run: a
                                                            channel not configured, nothing sent)
    outage_notify_delivery_retries_total{channel}           attempts after a delivery's first
    outage_notify_provider_rate_limited_total{channel}      calls answered 429 / "slow down"
    outage_notify_deliveries_waiting{channel}               held back: retry backoff or deferral
    outage_notify_provider_latency_seconds{channel}         histogram of provider call time
    outage_notify_queue_depth{queue}                        messages waiting in the broker
    outage_notify_broker_up                                 1 when the broker answered
    outage_notify_open_incidents{phase}                     incidents not yet resolved
    outage_notify_first_message_seconds{audience}           histogram: opened -> first message
    outage_notify_events{state}                             gauge: events pending/applied/failed
    outage_notify_incidents{cause_category}                 gauge: incidents stored, by category
    outage_notify_time_to_identify_seconds{cause_category}  histogram: opened -> category set
    outage_notify_voice_calls{state}                        gauge: voice-escalation calls now
    outage_notify_voice_calls_placed_total                  calls handed to Twilio (not refused)
    outage_notify_voice_call_outcomes_total{outcome}        calls by final outcome

and the scraped process's configuration snapshot (`observability.config_metrics`).

The single-label per-channel figures (retries, rate-limited, waiting, latency) list every
channel (sms, slack, fallback, whatsapp) from the first scrape, 0 until it is used, so a rate or
an alert on a channel has a series before its first message. `channel` is "none" for a
delivery not yet attempted. Waits for a rate-limit token inside a
worker (up to RATELIMIT_MAX_WAIT_SECONDS) leave no row, so they are not counted; a send that
could not get a token in time is deferred and shows in `deliveries_waiting`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.core.models import ChannelName
from outage_notify.messages.live_config import LiveConfig
from outage_notify.observability.config_metrics import ConfigCollector
from outage_notify.store import events as event_store
from outage_notify.store import metrics as figures
from outage_notify.worker import names

NO_CHANNEL = "none"
# kombu's Redis transport keeps priorities 3, 6 and 9 of a queue in lists of their own.
REDIS_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
# Queue name -> depth, or None when the broker did not answer.
QueueDepths = Callable[[], dict[str, int] | None]


class StoreCollector(Collector):
    """Yields every metric from one database session per scrape."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        queue_depths: QueueDepths | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.sessions = sessions
        self.queue_depths = queue_depths
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session:
            yield _deliveries(figures.deliveries_by_channel_state(session))
            yield _attempts(figures.attempts_by_channel_outcome(session))
            yield _per_channel(
                CounterMetricFamily,
                "outage_notify_delivery_retries",
                "Provider calls after the first one of a delivery on the same channel.",
                figures.retries_by_channel(session),
            )
            yield _per_channel(
                CounterMetricFamily,
                "outage_notify_provider_rate_limited",
                "Provider calls answered with a rate limit (HTTP 429, Twilio 20429, ratelimited).",
                figures.rate_limited_by_channel(session),
            )
            yield _per_channel(
                GaugeMetricFamily,
                "outage_notify_deliveries_waiting",
                "Deliveries held back until later by a retry backoff or a rate-limit deferral.",
                figures.waiting_by_channel(session, now=self.clock.now()),
            )
            yield _histograms(
                "outage_notify_provider_latency_seconds",
                "Time of one provider call (send attempt), by channel.",
                "channel",
                _every_channel_histogram(figures.latency_by_channel(session)),
            )
            yield _open_incidents(figures.open_incidents_by_phase(session))
            yield _events(event_store.count_by_state(session))
            yield _histograms(
                "outage_notify_first_message_seconds",
                "Seconds from an incident opening to the first message sent to each audience.",
                "audience",
                figures.first_message_by_audience(session),
            )
            yield _by_category(figures.incidents_by_cause_category(session))
            yield _histograms(
                "outage_notify_time_to_identify_seconds",
                "Seconds from an incident opening to its cause category first being set.",
                "cause_category",
                figures.time_to_identify_by_category(session),
            )
            yield from _voice(session)
        if self.queue_depths is not None:
            yield from _queues(self.queue_depths())


def registry_for(
    sessions: sessionmaker[Session],
    *,
    broker_url: str,
    key_prefix: str = "",
    clock: Clock = SYSTEM_CLOCK,
    config: LiveConfig | None = None,
) -> CollectorRegistry:
    """A registry holding only our collectors (no process metrics of whichever API replica);
    with `config`, the scraped process's snapshot too (`observability.config_metrics`)."""
    depths: QueueDepths | None = None
    if broker_url.partition("://")[0] in ("redis", "rediss"):
        depths = lambda: redis_queue_depths(broker_url, key_prefix=key_prefix)  # noqa: E731
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(sessions, queue_depths=depths, clock=clock))
    if config is not None:
        registry.register(ConfigCollector(config))
    return registry


def redis_queue_depths(broker_url: str, *, key_prefix: str = "") -> dict[str, int] | None:
    """Queue name -> messages waiting (LLEN) in a Redis broker; None if it did not answer.

    Other brokers have their own exporters (RabbitMQ's, redis_exporter for Sentinel setups).
    """
    import redis

    client = redis.Redis.from_url(broker_url, socket_timeout=1, socket_connect_timeout=1)
    try:
        pipe = client.pipeline(transaction=False)
        for queue in names.ALL_QUEUES:
            for suffix in REDIS_PRIORITY_SUFFIXES:
                pipe.llen(key_prefix + queue + suffix)
        lengths = pipe.execute()
    except redis.RedisError:
        return None
    finally:
        client.close()
    per_queue = len(REDIS_PRIORITY_SUFFIXES)
    return {
        queue: sum(int(n) for n in lengths[i * per_queue : (i + 1) * per_queue])
        for i, queue in enumerate(names.ALL_QUEUES)
    }


def _deliveries(counts: dict[tuple[str, str], int]) -> Metric:
    return _counts(
        "outage_notify_deliveries",
        "Deliveries (one update to one recipient) by the channel last tried and their state.",
        ("channel", "state"),
        sorted(counts.items()),
        blank_channel=NO_CHANNEL,
    )


def _attempts(counts: dict[tuple[str, str], int]) -> Metric:
    return _counts(
        "outage_notify_delivery_attempts",
        "Provider calls by channel and outcome (sent, transient, permanent, unknown).",
        ("channel", "outcome"),
        sorted(counts.items()),
        kind=CounterMetricFamily,
    )


def _per_channel(
    kind: type[CounterMetricFamily] | type[GaugeMetricFamily],
    name: str,
    documentation: str,
    counts: dict[str, int],
) -> Metric:
    """Counts by channel, every channel listed (`_every_channel`), in order of name."""
    return _counts(
        name,
        documentation,
        ("channel",),
        sorted(_every_channel(counts).items()),
        kind=kind,
        blank_channel=NO_CHANNEL,
    )


def _histograms(
    name: str, documentation: str, label: str, histograms: dict[str, figures.Histogram]
) -> Metric:
    family = HistogramMetricFamily(name, documentation, labels=[label])
    for value, histogram in sorted(histograms.items()):
        bounds = [_le(bound) for bound in histogram.bounds] + ["+Inf"]
        buckets = list(zip(bounds, histogram.cumulative, strict=True))
        family.add_metric([value or NO_CHANNEL], buckets, histogram.total)
    return family


def _every_channel(counts: dict[str, int]) -> dict[str, int]:
    """`counts` with every channel present, 0 for those without rows."""
    return {channel.value: 0 for channel in ChannelName} | counts


def _every_channel_histogram(
    histograms: dict[str, figures.Histogram], bounds: tuple[float, ...] = figures.LATENCY_BUCKETS
) -> dict[str, figures.Histogram]:
    empty = figures.Histogram(bounds, (0,) * (len(bounds) + 1), 0.0)
    return {channel.value: empty for channel in ChannelName} | histograms


def _voice(session: Session) -> Iterator[Metric]:
    """Voice escalation's calls (`voice_calls`): now by state, placed, and by final outcome."""
    states = figures.voice_calls_by_state(session)
    yield _counts(
        "outage_notify_voice_calls",
        "Voice-escalation calls by state now: claimed and placed are in flight; acknowledged "
        "(pressed 1), completed (answered, no keypress), machine (voicemail), no-answer, busy "
        "and failed are outcomes.",
        ("state",),
        states.items(),
    )
    yield CounterMetricFamily(
        "outage_notify_voice_calls_placed",
        "Voice-escalation calls handed to Twilio that it took, or may have (not refused).",
        value=figures.voice_calls_placed(session),
    )
    yield _counts(
        "outage_notify_voice_call_outcomes",
        "Voice-escalation calls by final outcome (acknowledged, completed, machine, no-answer, "
        "busy, failed).",
        ("outcome",),
        figures.voice_call_outcomes(states).items(),
        kind=CounterMetricFamily,
    )


def _counts(
    name: str,
    documentation: str,
    labels: tuple[str, ...],
    counts: Iterable[tuple[str | tuple[str, ...], int]],
    *,
    kind: type[GaugeMetricFamily] | type[CounterMetricFamily] = GaugeMetricFamily,
    blank_channel: str | None = None,
) -> Metric:
    """A gauge (or counter) of counts by `labels`: one sample per `(label value or values,
    count)` of `counts`, in their order. With `blank_channel`, an empty `channel` label value
    (a delivery not yet attempted) is shown as that instead."""
    family = kind(name, documentation, labels=list(labels))
    for key, count in counts:
        values = list(key) if isinstance(key, tuple) else [key]
        if blank_channel is not None:
            at = labels.index("channel")
            values[at] = values[at] or blank_channel
        family.add_metric(values, count)
    return family


def _open_incidents(counts: dict[str, int]) -> Metric:
    return _counts(
        "outage_notify_open_incidents",
        "Incidents not yet resolved, by phase.",
        ("phase",),
        counts.items(),
    )


def _by_category(counts: dict[str, int]) -> Metric:
    return _counts(
        "outage_notify_incidents",
        "Incidents stored, by cause category (hardware, software, network, security, "
        "provider, unknown).",
        ("cause_category",),
        counts.items(),
    )


def _events(counts: dict[str, int]) -> Metric:
    return _counts(
        "outage_notify_events",
        "Accepted events (webhook alerts) by state: pending, applied, or failed (waiting for a "
        "fix and POST /api/v1/events/{id}/retry).",
        ("state",),
        counts.items(),
    )


def _queues(depths: dict[str, int] | None) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "outage_notify_broker_up", "1 when the Redis broker answered the queue-depth query."
    )
    up.add_metric([], 0 if depths is None else 1)
    yield up
    yield _counts(
        "outage_notify_queue_depth",
        "Task messages waiting in the broker.",
        ("queue",),
        sorted((depths or {}).items()),
    )


def _le(bound: float) -> str:
    return f"{bound:g}" if bound != int(bound) else f"{bound:.1f}"
