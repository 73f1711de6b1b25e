"""Records Kela keeps about a client's cooperation and replicates to the client's county:
case-manager periods and cooperation cases, stored and shown alike on both sides.

``snapshots`` keeps them (the newest snapshot of each), ``dates`` reads their dates on the
Finnish day, ``reads`` is their shared read API; one module per kind.
"""
