"""Silta's municipality side: the counties' client information systems receive referrals
here, track them and answer Kela with status acknowledgements."""
