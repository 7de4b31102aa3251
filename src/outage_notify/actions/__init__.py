"""What staff do, from any edge: declare, update, resolve, reopen, retract, note (`staff`), and
the Slack/SMS commands that do the same (`commands`).

Each action loads, decides through `incidents.lifecycle`, saves with its audit entry in one
transaction and enqueues the update after the commit: the application layer between the
edges (`api`, `worker`, `cli`, which call it) and the store and domain (which it calls). It
enqueues through the `WorkQueue` protocol, so it never imports the worker.
"""
