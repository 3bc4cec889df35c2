"""``python -m up2u_cba`` runs the command line, as ``up2u-cba`` does."""

from up2u_cba.cli import launch

if __name__ == "__main__":
    launch.main()
