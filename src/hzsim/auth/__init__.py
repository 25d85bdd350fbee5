"""Login, tokens, principals, roles, privileges and permissions."""
