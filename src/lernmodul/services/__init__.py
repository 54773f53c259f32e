"""Use cases: one function each, taking a Session; they flush and never commit (the edge commits).

No `request`, `g` or `current_app` here: the web layer and the commands pass in what is needed
(clock, hasher, limits).
"""
