"""External operations (`/rest/external/...`): objects of vCenter and Active Directory."""
