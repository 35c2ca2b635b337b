"""Who may receive what: accounts and roles, grants of datasets to units, and the return policy.

Accounts belong to an administrative unit and hold roles; a unit receives a dataset only through a
grant its owning department's steward (and, where the data calls for it, a compliance officer)
approved. The return policy decides, per tier, which columns a grant returns and how they are masked.
"""
