"""`python -m pipeline` is the same as the `newspipe` console script."""

from pipeline.cli import app

if __name__ == "__main__":
    app()
