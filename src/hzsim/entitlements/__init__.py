"""Entitlements (`/rest/entitlements/...`): which users and groups may use which pools."""
