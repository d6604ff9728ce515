"""What a bundle's config.json says and what it becomes: loading and validation
(config.py, with the validator generated from spec/ at build time), the C plan
(plan.py, seccomp.py), the default config (default_spec.py) and features.json."""
