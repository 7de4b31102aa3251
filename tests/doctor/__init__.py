"""`outage-notify doctor` against the real service parts and the fakes."""
