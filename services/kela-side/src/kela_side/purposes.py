"""Why, and as whom, Kela's side touches personal data: what its access log records."""

from __future__ import annotations

KELA_SERVICE = "silta-kela-side"
"""The subject of what the service itself does on a message's behalf."""

SEND_PURPOSE = "referral.send"
TRACK_PURPOSE = "referral.tracking"
CANCEL_PURPOSE = "referral.cancel"
FORWARD_PURPOSE = "referral.forward"
RECEIVE_PURPOSE = "statement.receive"
DECISION_PURPOSE = "social_assistance.decision"
"""Why Kela's officer reads a client's statements (ASA 1412/1997 §18)."""
CASE_MANAGER_PURPOSE = "case_manager.service"
"""Why Kela names and reads a client's case manager (the client's consent; ASA §14a)."""
COOPERATION_PURPOSE = "cooperation.follow_up"
"""Why Kela keeps and reads a client's cooperation case (ASA §14a, SWA §41)."""
DECISION_NOTICE_RECEIVE_PURPOSE = "decision_notice.receive"
CONSULTATION_PURPOSE = "consultation"
"""Why Kela's officer asks, answers and reads a consultation about a client (ASA 1412/1997
§14a cooperation; with the client's consent, or anonymous)."""
