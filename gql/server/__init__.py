"""Serving HTTP: the app and its composition root, the command, settings, GraphQL over HTTP, CORS,
compression, request ids, logs, metrics, traces, readiness, GraphiQL and the connection guard.

It may import ``gql.pipeline`` and ``gql.schema``; neither imports it (tests/test_architecture.py).
"""
