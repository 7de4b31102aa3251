"""The web console at `/console`: staff run an incident from a browser.

Server-rendered (Jinja2) pages over the same staff actions and store reads the API uses, a
signed session cookie with a CSRF token per session, and a few lines of plain JavaScript that
refresh the live coverage. Every asset is served by the app. Modules: session.py (the cookie),
identity.py (who is signed in: token or trusted proxy), forms.py (form fields and local
times), views.py (what a page shows), routes.py (load, call, render), install.py.
"""
