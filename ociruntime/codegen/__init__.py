"""Build-time code generation (not imported by the runtime's commands): the config
validator generated from the JSON Schemas in spec/."""
