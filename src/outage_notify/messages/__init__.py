"""What people read: templates per audience, channel, locale and zone; fitting, previews."""
