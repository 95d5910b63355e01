"""``python -m retold``: the same as the ``retold`` command, without relying on PATH."""

from retold.cli import main

if __name__ == "__main__":
    main()
