"""`outage-notify demo`: an email outage played through the whole SOP against built-in fakes."""
