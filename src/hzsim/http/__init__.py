"""The ASGI application: routes from the contract, auth, validation, errors, paging headers, TLS."""
