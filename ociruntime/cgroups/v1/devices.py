"""v1 devices: each OCI rule, in order, written to devices.allow or devices.deny.

A fresh cgroup starts as "a *:* rwm" (allow all); a leading deny-all rule (what Docker sends) turns it
into an allow-list. On update the rules are written on top of the current state, in order."""

from .. import files
from ..resources import device_rules, field_name


def apply(cgdir, resources):
    for index, rule in enumerate(device_rules(resources)):
        name = "devices.allow" if rule.allow else "devices.deny"
        files.write(cgdir, name, rule.v1_line(), field_name(f"devices[{index}]"))
