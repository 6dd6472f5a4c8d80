"""`python -m toolmaster.envs.shop [--seed N | --task ID] [--version V]`: serve over stdio."""

from toolmaster.envs.kit import serve
from toolmaster.envs.shop import ENV

if __name__ == "__main__":
    serve(ENV)
