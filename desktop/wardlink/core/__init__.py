"""The pure-Python domain shared by the desktop client and the record server.

Nothing here imports Qt, SQL drivers or HTTP libraries; it reads only its own resource files.
"""
