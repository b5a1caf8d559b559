"""E-mail through Flask-Mailman (SMTP settings in Config: MAIL_SERVER, MAIL_PORT, MAIL_USERNAME …).

Without MAIL_SERVER the mail backend is this module's EmailBackend, which writes each message to
the log instead of sending it: the quick start needs no mail server.
"""

from __future__ import annotations

import logging

from flask_mailman.backends.base import BaseEmailBackend

log = logging.getLogger("fuhua.mail")


class EmailBackend(BaseEmailBackend):
    """Logs messages (recipient, subject, body) instead of sending them."""

    def send_messages(self, email_messages):  # noqa: ANN001, ANN201
        for message in email_messages:
            log.info("e-mail (not sent: no MAIL_SERVER configured) to %s: %s\n%s",
                     ", ".join(message.recipients()), message.subject, message.body)
        return len(email_messages)
