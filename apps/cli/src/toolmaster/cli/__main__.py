"""Entry point of the `toolmaster` command."""

from toolmaster.cli._app import main

if __name__ == "__main__":
    main()
