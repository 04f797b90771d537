"""Live subscriptions: ``subscription { live { stats { ... } } }`` over WebSocket and SSE.

Subscribers with the same document, variables and credentials are one cohort, refreshed once per
interval; every cohort refreshing in the same interval shares its upstream calls; an answer is
pushed only when it changed, and a slow subscriber only ever holds the latest.
"""
