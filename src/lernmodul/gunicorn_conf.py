"""gunicorn config module: the SERVE_* settings of the instance configuration.

    gunicorn -c python:lernmodul.gunicorn_conf 'lernmodul.web:create_app()'

`lernmodul serve` applies the same settings (lernmodul.web.serving.settings).
"""

from lernmodul.web.serving import instance_config, settings

globals().update(settings(instance_config()))
