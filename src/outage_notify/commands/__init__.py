"""Staff commands typed in Slack or by SMS: parsing, running them as their sender, the replies."""
