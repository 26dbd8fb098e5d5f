"""Messaging: `email.send` (templated, transactional email through SMTP, SES or an outbox)."""
