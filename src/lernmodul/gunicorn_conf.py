"""gunicorn config module: the SERVE_* settings of the instance configuration.

    gunicorn -c python:lernmodul.gunicorn_conf 'lernmodul.web:create_app()'

`lernmodul serve` applies the same settings (lernmodul.web.serving.settings).
"""

from lernmodul.web.config import serving_problem
from lernmodul.web.serving import instance_config, settings

_config = instance_config()
_problem = serving_problem(_config)
if _problem is not None:
    raise RuntimeError(_problem)  # gunicorn stops before any worker starts
globals().update(settings(_config))
