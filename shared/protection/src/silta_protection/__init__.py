"""Data protection (tietosuoja) both Silta services apply: personal data encrypted at rest
with rotatable keys, found by keyed hashes; the hash-chained access log of every read and
write of personal data; retention and purging; the operators' data-protection commands."""
