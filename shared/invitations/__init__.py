"""Invitations: owners and admins bring experts, client users and partners in by email."""
