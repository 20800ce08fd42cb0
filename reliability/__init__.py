"""Reliability: what keeps an acked message, a socket and a side effect alive through faults.

Durability checks on the PostgreSQL we are given (`durability`), one validation layer for
untrusted JSON (`validation`), the client address behind trusted proxies (`proxies`),
database-unavailable answers (`middleware`) and a daphne that drains on SIGTERM (`serve`).
docs/reliability.md describes the threat model and the fault suite.
"""
