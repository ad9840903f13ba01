"""``python -m generator`` runs the coproduce command line."""

from generator.cli import main

main()
