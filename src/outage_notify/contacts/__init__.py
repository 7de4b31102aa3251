"""Who is told: the contacts folder (YAML, CSV), its checks and snapshots, routing, zones,
components.
"""
