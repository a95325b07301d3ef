"""A comment without Flask or storage: what it is, what it may say, who may change it.

comment.py (statuses, the record's shapes and views, ids), threads.py (the page a comment
belongs to, one spelling per path), validation.py (a submission
checked into a clean comment or reasons), spam.py (the status the spam signals give),
tokens.py (Comment-Token, the author's proof), editing.py (who edits, and the policy an
edit follows), versions.py (what a version and the ETags derived from one look like).
Pure functions over plain values: the stores and the web layer both build on them.
"""
