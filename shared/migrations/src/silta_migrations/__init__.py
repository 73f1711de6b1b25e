"""The migration history of the tables both services keep alike (jaetut taulut).

The outbox, inbox and relay lease, the access log, the status history, the responsible
workers and the directory are defined once, in the shared packages, and migrated once, here:
this directory is an Alembic script location with its own version table, applied to each
service's database after the service's own history (``silta_platform.migrations.upgrade``
names its location and version table). The status history and the responsible workers refer
to ``referrals.id``, which every service's own baseline creates; a service's migration never
refers to a shared table.
"""
