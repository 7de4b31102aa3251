"""What people read: templates rendered per audience, channel, locale, zone; fitting, previews."""
