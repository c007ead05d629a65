"""Local infrastructure: the template as data, tables under moto, the local gateway and dev tokens."""
