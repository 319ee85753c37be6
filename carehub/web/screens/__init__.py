"""The screens of the web application, one module per screen (see :mod:`carehub.web`)."""
