"""Running a document: parsing and validation with their limits, persisted queries, the cost model,
the executable schema and its engine (plans, the row form, lean resolvers), and the one boundary
from failures to the errors a client reads.

It may import ``gql.schema``; it never imports ``gql.server`` (tests/test_architecture.py).
"""
