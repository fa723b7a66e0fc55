"""Who the caller is: memberships, companies, operator status."""
