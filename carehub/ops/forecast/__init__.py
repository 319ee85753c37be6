"""Patient-demand forecasting: warehouse series, statsforecast and LightGBM models, backtests."""
