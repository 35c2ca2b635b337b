"""数据回流: validated data going back down to the units that need it, and what they send back.

Each active grant's extract is scoped to the unit's subtree, masked by the return policy and checked
by the re-identification guard in one pass over the curated table, then written to the unit's
outbox with a manifest; every delivery is recorded in the governance store and in lineage.
"""
