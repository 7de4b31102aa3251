"""Task and queue names: the contract between whoever enqueues and the workers."""

PROCESS_EVENT = "outage_notify.process_event"
PLAN_UPDATE = "outage_notify.plan_update"
DISPATCH = "outage_notify.dispatch"
SWEEP = "outage_notify.sweep"
# Reconcile the claims of workers whose heartbeat stopped (every heartbeat).
RECLAIM = "outage_notify.reclaim"
REMIND = "outage_notify.remind"
# Re-notify whoever has not acknowledged in time; list the unreached to the lead.
CHASE = "outage_notify.chase"
PROBE = "outage_notify.probe"
CATCHUP = "outage_notify.mail.catchup"
APPLY_REPORT = "outage_notify.apply_report"
# Flood control: resolve incidents whose alerts stayed resolved for the resolve hold, and send
# the digests of news held by the per-recipient cap once the hour allows.
SETTLE = "outage_notify.settle"
DIGEST = "outage_notify.digest"

# Lifecycle and planning are small and latency-critical; dispatch batches are the bulk.
QUEUE_EVENTS = "outage_notify.events"
QUEUE_DISPATCH = "outage_notify.dispatch"
# Opened/resolved messages to management: never behind a 100,000-user fan-out. A worker
# started with `--queues outage_notify.urgent` serves only this lane.
QUEUE_URGENT = "outage_notify.urgent"
ALL_QUEUES = (QUEUE_URGENT, QUEUE_EVENTS, QUEUE_DISPATCH)
