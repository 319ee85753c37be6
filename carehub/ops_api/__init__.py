"""JSON API of the operations features (forecasts, reorder advice, allocation).

Each feature exposes a FastAPI ``APIRouter`` factory (e.g.
:func:`carehub.ops_api.supply.supply_router`) that ``carehub.app`` wires in.
Errors are raised as :class:`carehub.errors.CareHubError` and rendered by the
application's one error mapping.
"""
