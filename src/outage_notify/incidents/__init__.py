"""The incident state machine: phases, transitions, verification, reminders, chasing, staff
actions.
"""
