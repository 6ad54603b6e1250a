"""Sub-commands of the `foleygan` CLI: one module each, exposing register(subparsers, common)."""
