"""Events out: what the ledger tells the rest of the company, built from the ledger table's stream.

Every outbound event is derived from a committed change of the ledger table (DynamoDB Streams), never
from a request path, so nothing is published for a refused request and nothing committed is missed.
"""
