"""`python -m toolmaster.envs.weather [--seed N | --task ID] [--version V]`: serve over stdio."""

from toolmaster.envs.kit import serve
from toolmaster.envs.weather import ENV

if __name__ == "__main__":
    serve(ENV)
