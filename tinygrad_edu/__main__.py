"""`python -m tinygrad_edu ...` is the same as the `tinygrad-edu` command."""

from .cli import main

raise SystemExit(main())
