"""Command-line faces of Hearth. Each subcommand module exposes ``add_parser`` and ``run``.

``add_parser(subparsers)`` registers the subcommand; ``run(args) -> int`` executes it and
returns the process exit code. They share the same core as the GUI.
"""
