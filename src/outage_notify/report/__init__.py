"""The post-incident report (SOP step 6): built from rows, rendered as Markdown, JSON or HTML."""
