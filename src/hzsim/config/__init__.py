"""Config operations (`/rest/config/...`): settings, virtual centers, access, image management."""
