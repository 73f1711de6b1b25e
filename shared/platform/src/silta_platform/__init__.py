"""The application platform both Silta services run on: settings, database engines and
migrations, the FastAPI app factory with authentication and authorisation, RFC 9457 problem
details, health and metrics endpoints, log redaction and the bus runtime (relay, consumers).

It knows nothing of referrals: records and data protection build on it, the services on all."""
