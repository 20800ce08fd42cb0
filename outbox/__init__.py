"""The outbox: side effects outside our database, recorded before they are attempted.

See outbox/services.py for the API and docs/reliability.md for why.
"""
