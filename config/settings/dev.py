from config.settings.base import *
from config.settings.env import env_bool, env_str

# `make run` serves like production; `DEBUG=1 make run` turns on the debug pages.
DEBUG = env_bool("DEBUG", False)
LOG_FORMAT = env_str("LOG_FORMAT", "console")
LOGGING["formatters"]["structured"]["format_name"] = LOG_FORMAT
