"""`outage-notify doctor`: one preflight over everything the day depends on.

check.py (the pure result of one check, `Context`, exit codes), registry.py (the list of checks
and the runner: each in its own thread, bounded, a crash is a failed line), one module per group
of checks: configuration.py (settings, contacts, templates), stores.py (database, migrations,
clock, broker), channels.py (provider credentials, PUBLIC_BASE_URL), mail_servers.py (the
probes' SMTP and IMAP servers), workers.py (workers per queue, beat); report.py (the table and
the JSON).
"""
