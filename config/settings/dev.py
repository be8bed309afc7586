from config.settings.base import *
from config.settings.env import env_bool, env_str

DEBUG = env_bool("DEBUG", True)
LOG_FORMAT = env_str("LOG_FORMAT", "console")
LOGGING["formatters"]["structured"]["format_name"] = LOG_FORMAT
