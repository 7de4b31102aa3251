"""Scheduled maintenance (pure): a window of planned work on a service and its components.

windows.py holds what a window is, which checks a new one must pass, which of its
announcements (scheduled, reminders, started, completed, extended) are due, how it ends
(after a passing mail probe when it asks for one) and which alerts it silences. Like the
incidents, it imports only core and config; the store, the worker and the API load, call,
save.
"""
