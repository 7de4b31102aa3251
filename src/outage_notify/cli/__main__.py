"""`python -m outage_notify.cli`: the `outage-notify` command."""

from outage_notify.cli.main import main

main()
