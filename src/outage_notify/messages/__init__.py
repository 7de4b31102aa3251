"""What people read: templates rendered per audience, channel, locale and zone; fitting; preview."""
