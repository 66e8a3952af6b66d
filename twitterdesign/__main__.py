"""Allow ``python -m twitterdesign``."""

from twitterdesign.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
