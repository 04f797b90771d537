"""The schema's types: scalars, enums, the metric and series types, breakdowns, the federated
entities and their links, the legacy records, and the query root. They reach the upstream only
through ``resolvers``; they import neither ``gql.pipeline`` nor ``gql.server``
(tests/test_architecture.py).
"""
