"""Why, and as whom, a county's side touches personal data: what its access log records."""

from __future__ import annotations

MUNICIPALITY_SERVICE = "silta-municipality-side"
"""The subject of what the service itself does on a message's behalf."""

RECEIVE_PURPOSE = "referral.receive"
HANDLING_PURPOSE = "referral.handling"
"""Why the county reads and updates a referral: to assess the client's need (SWA §35-36)."""
STATEMENT_PURPOSE = "statement.social_assistance"
"""Why the county gives and reads a statement (ASA 1412/1997 §18)."""
COOPERATION_PURPOSE = "cooperation.shared_client"
"""Why the county keeps and reads a shared client's case-manager periods and cooperation
cases: cooperation with Kela on the client (ASA 1412/1997 §14a, SWA 1301/2014 §41)."""
DECISION_NOTICE_PURPOSE = "decision_notice.social_assistance"
"""Why the county tells Kela of a decision and reads what it told (the configured basis)."""
CONSULTATION_PURPOSE = "consultation"
"""Why the county asks, answers and reads a consultation about a client."""
