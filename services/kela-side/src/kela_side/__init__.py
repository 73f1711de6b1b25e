"""Silta's Kela side: Kela's case systems send referrals here and follow their status."""
