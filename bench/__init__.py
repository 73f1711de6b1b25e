"""Silta's end-to-end benchmark, measured against the raw broker in the same run.

``python -m bench`` creates its own RabbitMQ virtual host, measures what the broker alone
moves (confirmed persistent messages through a durable quorum queue), then runs both
services as real processes and measures referrals per second from the first ``POST`` until
every referral is ``delivered`` at the Kela side. See ``python -m bench --help``.
"""
