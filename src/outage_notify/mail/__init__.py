"""The mail itself: SMTP and IMAP sessions, the verify probe, the email catch-up summary."""
