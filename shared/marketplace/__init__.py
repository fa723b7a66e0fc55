"""Marketplace: expert profiles, search, the match score, offers and assignment, reviews."""
