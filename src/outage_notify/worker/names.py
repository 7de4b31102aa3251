"""Task and queue names: the contract between whoever enqueues and the workers."""

PROCESS_EVENT = "outage_notify.process_event"
PLAN_UPDATE = "outage_notify.plan_update"
DISPATCH = "outage_notify.dispatch"
SWEEP = "outage_notify.sweep"
REMIND = "outage_notify.remind"
PROBE = "outage_notify.probe"

# Lifecycle and planning are small and latency-critical; dispatch batches are the bulk.
QUEUE_EVENTS = "outage_notify.events"
QUEUE_DISPATCH = "outage_notify.dispatch"
ALL_QUEUES = (QUEUE_EVENTS, QUEUE_DISPATCH)
