"""Who handled a client's personal data, and when: an append-only, hash-chained access log.

Every entry holds the hash of the entry before it (``prev_hash``) and its own hash
(``entry_hash``, SHA-256 over its canonical content, ``prev_hash`` included); the chain head
(``access_log_head``, one row: the last ``seq`` and hash) is updated in the same statement
group. Editing any field of an entry breaks its own hash, deleting an entry breaks the next
entry's ``prev_hash`` (and the ``seq`` run), deleting the newest entries disagrees with the
head: ``verify_chain`` finds each.

Appends are serialised: the head row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite every transaction here is ``BEGIN IMMEDIATE``, one writer) in the transaction that
does the read or write being logged, and as its last statement, so the lock is held only
until that commit and is never held while waiting for another lock.

The log holds the client's keyed hash (``client_key``), never an identity code.
"""

from silta_protection.access_log.api import (
    ACCESS_REQUEST_PURPOSE,
    ActorDep,
    access_log_router,
    current_actor,
)
from silta_protection.access_log.chain import (
    Verification,
    entry_hash,
    logging_accesses,
    record_access,
    verify,
    verify_chain,
)
from silta_protection.access_log.entry import (
    UNAUTHENTICATED,
    Access,
    Action,
    Actor,
    actor_of,
    service_actor,
)
from silta_protection.access_log.table import (
    ENTRIES,
    GENESIS_HASH,
    HEAD,
    AccessLogTables,
    add_access_log,
)

__all__ = [
    "ACCESS_REQUEST_PURPOSE",
    "ENTRIES",
    "GENESIS_HASH",
    "HEAD",
    "UNAUTHENTICATED",
    "Access",
    "AccessLogTables",
    "Action",
    "Actor",
    "ActorDep",
    "Verification",
    "access_log_router",
    "actor_of",
    "add_access_log",
    "current_actor",
    "entry_hash",
    "logging_accesses",
    "record_access",
    "service_actor",
    "verify",
    "verify_chain",
]
