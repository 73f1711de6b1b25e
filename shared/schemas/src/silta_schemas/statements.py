"""Statements of social work (sosiaalityön lausunto), county → Kela, and Kela's receipt.

The public place for them: what a statement is made of (`statement_parts`) and the two kinds
(`kinds.statement`, `kinds.statement_receipt`).
"""

from silta_schemas.kinds.statement import Statement, StatementRequest
from silta_schemas.kinds.statement_receipt import StatementReceipt
from silta_schemas.statement_parts import (
    StatementClient,
    StatementContent,
    StatementSearch,
    StatementTopic,
)

__all__ = [
    "Statement",
    "StatementClient",
    "StatementContent",
    "StatementReceipt",
    "StatementRequest",
    "StatementSearch",
    "StatementTopic",
]
