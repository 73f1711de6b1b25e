"""Records both Silta sides keep in the same shape: a referral's status history and its
responsible workers, the contact directory, deadlines in working days and statistics."""
