"""Messaging: attachments through Storage, the unread-message email and the retention purge."""
