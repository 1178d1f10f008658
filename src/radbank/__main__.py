"""`python -m radbank` (also what `torchrun -m radbank` runs)."""

from radbank.cli import main

raise SystemExit(main())
