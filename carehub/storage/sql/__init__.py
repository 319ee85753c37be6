"""The SQL core shared by the SQLite and PostgreSQL stores.

Back-ends differ only by a :class:`~carehub.storage.sql.dialect.Dialect`
subclass (type names, placeholders, locking); schema, writes, search and
history are written once.
"""
