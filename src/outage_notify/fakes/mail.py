"""DEVELOPMENT FAKE: a mail system on loopback, an SMTP server and an IMAP server sharing one
INBOX, so the mail probe's round trip (mail_smtp.py sends, mail_imap.py finds and deletes)
really crosses two protocols without a real mail server. For the demo; tests use the real
aiosmtpd + Dovecot pair (tests/fixtures/mail.py).

Plain text only (no TLS, no AUTH): probes against it run with `smtp_starttls=never`,
`imap_ssl=false`, `imap_starttls=never` and no SMTP username. `working = False` plays the
outage: the SMTP server answers 421 to every connection, as a mail server that is down does.
It speaks just the commands the probe uses.
"""

from __future__ import annotations

import email
import socketserver
import threading
from dataclasses import dataclass, field
from email.policy import default as default_policy
from typing import Any

from pydantic import SecretStr

from outage_notify.config.mail import ProbeSettings

HOST = "127.0.0.1"


@dataclass
class Mailbox:
    """The one INBOX both servers share: UID -> subject."""

    working: bool = True
    messages: dict[int, str] = field(default_factory=dict)
    next_uid: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliver(self, raw: bytes) -> None:
        parsed = email.message_from_bytes(raw, policy=default_policy)
        with self.lock:
            self.messages[self.next_uid] = str(parsed.get("Subject", ""))
            self.next_uid += 1


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type[socketserver.BaseRequestHandler], mailbox: Mailbox) -> None:
        super().__init__((HOST, 0), handler)
        self.mailbox = mailbox


class _Lines(socketserver.StreamRequestHandler):
    timeout = 30

    @property
    def mailbox(self) -> Mailbox:
        server: Any = self.server
        return server.mailbox  # type: ignore[no-any-return]

    def send(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())

    def receive(self) -> str | None:
        line = self.rfile.readline(65536)
        return line.decode("utf-8", "replace").rstrip("\r\n") if line else None


class _Smtp(_Lines):
    def handle(self) -> None:
        if not self.mailbox.working:
            self.send("421 4.3.2 mail service unavailable (the demo's outage)")
            return
        self.send("220 fake-mail ESMTP")
        while (line := self.receive()) is not None:
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.send("250-fake-mail", "250 8BITMIME")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self.send("250 OK")
            elif verb == "DATA":
                self.send("354 end with <CRLF>.<CRLF>")
                self.mailbox.deliver(self._data())
                self.send("250 2.0.0 accepted")
            elif verb == "QUIT":
                self.send("221 bye")
                return
            else:
                self.send("502 5.5.2 not implemented")

    def _data(self) -> bytes:
        lines: list[bytes] = []
        while (line := self.rfile.readline(65536)) not in (b".\r\n", b".\n", b""):
            # RFC 5321 4.5.2: a leading dot was doubled by the sender.
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


class _Imap(_Lines):
    def handle(self) -> None:
        self.send("* OK fake-mail IMAP4rev1 ready")
        while (line := self.receive()) is not None:
            tag, _, rest = line.partition(" ")
            words = [word.strip('"') for word in rest.split(" ")]
            command = words[0].upper()
            if command == "UID" and len(words) > 1:
                self._uid(tag, words[1].upper(), words[2:])
                continue
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 UIDPLUS")
            elif command == "SELECT":
                self.send(f"* {len(self.mailbox.messages)} EXISTS", "* 0 RECENT")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
                continue
            elif command == "LOGOUT":
                self.send("* BYE logging out", f"{tag} OK LOGOUT completed")
                return
            elif command not in ("LOGIN", "NOOP", "EXPUNGE"):
                self.send(f"{tag} BAD unknown command")
                continue
            self.send(f"{tag} OK {command} completed")

    def _uid(self, tag: str, command: str, args: list[str]) -> None:
        box = self.mailbox
        with box.lock:
            if command == "SEARCH":
                # SUBJECT <token> finds it; with BEFORE <date> nothing is that old here.
                token = args[1] if len(args) > 1 and args[0].upper() == "SUBJECT" else ""
                found = (
                    []
                    if "BEFORE" in (a.upper() for a in args)
                    else sorted(
                        uid for uid, subject in box.messages.items() if token and token in subject
                    )
                )
                self.send("* SEARCH" + "".join(f" {uid}" for uid in found))
            elif command == "EXPUNGE" and args:
                # UID STORE +FLAGS (\Deleted) is taken as said; UID EXPUNGE removes.
                for uid in args[0].split(","):
                    box.messages.pop(int(uid), None)
        self.send(f"{tag} OK UID {command} completed")


class FakeMail:
    """The SMTP and IMAP servers, started in threads; use as a context manager."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self._servers = [_Server(_Smtp, self.mailbox), _Server(_Imap, self.mailbox)]
        self._threads = [
            threading.Thread(target=server.serve_forever, name="fake-mail", daemon=True)
            for server in self._servers
        ]

    @property
    def smtp_port(self) -> int:
        return int(self._servers[0].server_address[1])

    @property
    def imap_port(self) -> int:
        return int(self._servers[1].server_address[1])

    def probe_settings(self, **changes: Any) -> ProbeSettings:
        """A mail probe of this fake's mailbox (plain text, any password), with `changes`.

        The one way the demo and the tests point the real probe at the fake.
        """
        probe: dict[str, Any] = {
            "enabled": True,
            "smtp_host": HOST,
            "smtp_port": self.smtp_port,
            "smtp_starttls": "never",
            "imap_host": HOST,
            "imap_port": self.imap_port,
            "imap_ssl": False,
            "imap_starttls": "never",
            # The fake accepts any LOGIN: the password only has to be there to be sent.
            "imap_password": SecretStr("fake-mail"),
            "mailbox_address": "probe@demo.example",
            "receive_timeout_seconds": 3,
            "poll_interval_seconds": 0.2,
        }
        return ProbeSettings.model_validate({**probe, **changes})

    def __enter__(self) -> FakeMail:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
