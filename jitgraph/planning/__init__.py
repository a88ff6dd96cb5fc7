"""Planning: from (fetches, feeds) to an engine-neutral Plan that either engine runs.

Whether an op runs in a kernel stage or on the host is decided here, from the facts
in its registry entry and static shapes/dtypes, never by trying to generate code.
"""
