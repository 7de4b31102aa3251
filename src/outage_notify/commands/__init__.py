"""Staff commands typed in Slack or by SMS: parsing and the replies (running them as their
sender is `actions.commands`).
"""
