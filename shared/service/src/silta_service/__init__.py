"""What both Silta services share around their domain: settings, database engines,
migrations, RFC 9457 problem details, health endpoints, log redaction and the bus runtime."""
