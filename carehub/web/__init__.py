"""CareHub's web application: server-rendered pages for clinicians, managers and patients.

Served under ``/app`` by ``carehub serve`` and ``carehub demo`` (``/`` redirects
there); :func:`carehub.app.wiring.add_web` mounts it. Vietnamese by default,
English switchable. No build step and nothing from the network at run time:
Jinja2 templates, one stylesheet, a little vanilla JavaScript and plotly.js
from the installed ``plotly`` package.

Layout
======

* :mod:`~carehub.web.app`: :class:`~carehub.web.app.Web` (what screens share:
  the hub, the page renderer, the configuration, the worklist source) and
  :data:`~carehub.web.app.SCREENS`, the list of screen modules;
* :mod:`~carehub.web.templating`: the Jinja2 environment (autoescape on) and
  :meth:`~carehub.web.templating.Pages.render`, which adds the page context,
  the Content-Security-Policy and the language/CSRF cookies;
* :mod:`~carehub.web.i18n` with ``i18n/vi.json`` and ``i18n/en.json``;
* :mod:`~carehub.web.nav`: the menu, by role;
* :mod:`~carehub.web.session`: sign-in through CareHub's authorization
  server, the session cookie and CSRF tokens;
* :mod:`~carehub.web.static`: ``/app/static/<name>`` (``static/`` and plotly);
* ``screens/``: one module per screen; ``templates/``: one template per page,
  each extending ``base.html``;
* domain helpers next to them (:mod:`~carehub.web.patient_search`,
  :mod:`~carehub.web.patient_record`, :mod:`~carehub.web.lab_trends`,
  :mod:`~carehub.web.worklist_source`, :mod:`~carehub.web.task_actions`).

Security
========

Every page except sign-in, sign-out, the redirects and static files is a
protected route: the security middleware (:mod:`carehub.security.web.middleware`)
accepts the ``carehub_session`` cookie for ``/app/...`` paths like a bearer
token, checks the route's scope (:data:`carehub.security.web.route_table.REQUIREMENTS`,
``/app/`` needs a clinical scope) and sets the user's grant for the request,
so every read and write through ``web.hub.store`` passes the storage guard
and is audited exactly like the FHIR API. Browsers without a session are
redirected to ``/app/signin``. Every POST form carries ``page.csrf`` in a
hidden ``csrf`` field, checked with :func:`~carehub.web.session.csrf_matches`.
With ``CAREHUB_AUTH=off`` (tests, ``--insecure-dev``) pages work without
sign-in and the menu shows every screen. Always read data through
``web.hub.store`` at request time (never keep the store from start-up: the
guard is installed after the routers).

How to add a screen
===================

1. Write ``carehub/web/screens/<screen>.py`` with ``router(web: Web) -> APIRouter``
   whose handlers render with ``web.pages.render(request, "<screen>.html", **values)``
   (and ``web.pages.error(request, status, "error.<key>")`` for failures). Run
   blocking work (store, warehouse) with ``starlette.concurrency.run_in_threadpool``.
2. Add the module's ``router`` to ``_screens()`` in :mod:`carehub.web.app`.
3. Add a :class:`~carehub.web.nav.NavItem` to :data:`~carehub.web.nav.NAVIGATION`
   with the roles that see it.
4. Routes: under ``/app/``, they need a clinical scope by default. A screen
   for another audience adds its prefix to
   :data:`carehub.security.web.route_table.REQUIREMENTS` (e.g.
   ``("/app/ops/", (OPS, ADMIN))``); a public page (patient self-assessment)
   is added to :data:`~carehub.security.web.route_table.PUBLIC`.
   ``tests/security/test_route_table.py`` walks every route, so an unclassified
   route fails there.

How to add a route
==================

Inside a screen's ``router``: ``@r.get("/app/<path>")`` (``include_in_schema``
off). Forms POST to their own route and redirect (303) after success; check
the CSRF field first.

How to add a translation key
============================

Use ``{{ t("screen.thing") }}`` in templates (``t("screen.thing", n=3)`` fills
``{n}``) or :class:`~carehub.web.i18n.Translator` in code, and add the key to
both ``i18n/vi.json`` and ``i18n/en.json``. Keys built from data
(``t("status." ~ rec.status)``) must exist for every value. Templates hold no
literal text: ``tests/web/test_i18n.py`` checks the catalogues, the keys used
and the text left in templates (aria-label, title, placeholder and alt too).

How to add a chart
==================

Build a plotly figure (``{"data": [...], "layout": {...}}``) in Python (see
:mod:`carehub.web.lab_trends`), titles from the catalogue. In the template,
load ``/app/static/plotly.min.js`` and ``/app/static/charts.js`` in
``{% block head %}`` and write::

    <div class="chart" data-chart-id="my-chart" role="img" aria-label="..."></div>
    <script type="application/json" id="my-chart">{{ figure|tojson }}</script>

``charts.js`` draws it (inline scripts are blocked by the CSP; JSON blocks
are data) and marks the div ``data-rendered="true"``. Give the numbers as a
table too (screen readers).

How to add a Playwright test
============================

In ``tests/web/``: use the ``server`` fixture (a real uvicorn over a
generated population, authorization off) or ``auth_server`` (on, with the
demo accounts), the ``page`` fixture (``page_vi``/``page_en``), call
``axe_check(page)`` on every screen and ``shot(page, "name")`` to save
``test-artifacts/screenshots/name.png``. See ``tests/web/conftest.py``.
"""
