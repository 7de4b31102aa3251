"""What people read: templates rendered per audience, channel, locale and zone; fitting;
previews; the public words.
"""
