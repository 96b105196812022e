"""The client's half of the sync protocol (DESIGN.md §4). Not built yet: see the sync issue."""
