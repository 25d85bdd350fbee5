"""Monitor operations (`/rest/monitor/...`): the health of vCenters and pods."""
