"""Notifications demo: domain events become e-mails through a flaky mail server, with retries,
exponential backoff and a dead-letter queue replayed once the server is back."""
