"""Silta's messaging mechanism, shared by both services.

- `topology`: exchanges, quorum queues, dead-lettering, declared idempotently.
- `tables`: the transactional outbox and the idempotent inbox (SQLAlchemy Core).
- `outbox`: writing envelopes to the outbox inside the business transaction.
- `relay`: publishing the outbox in order, in batches, with publisher confirms.
- `consumer`: batched, idempotent consumption with parking of invalid messages.
- `broker`: the robust connection and its channels.
"""
