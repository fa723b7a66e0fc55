"""Notifications: the email outbox and its dispatcher, delivery events (in-app notices come next)."""
