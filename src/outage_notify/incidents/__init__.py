"""The incident state machine: phases, transitions, verification, reminders, chasing, and the
messages of an update (`update_messages`). Pure: what staff do to an incident, in a
transaction, is in `outage_notify.actions`.
"""
