"""`wardlink --self-test`: checks of this PC's installation, for IT after an install and for
support, with no window, no user profile and no password.

Each check (`policy`, `keyring`, `sqlcipher`, `data folder`, `server`, `qt`) gives PASS, WARN or
FAIL with a plain-language detail; the report ends with a summary line and the command exits 0
only if nothing failed. Nothing here imports Qt but the last check, which imports QtCore alone to
find the platform plugins without opening a window.
"""
