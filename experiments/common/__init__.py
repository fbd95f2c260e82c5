"""What the experiments share and the library does not hold.

- the recipe every script follows: ``optim`` (the Optax optimizer from the
  config), ``config`` (the config a training run saves), ``seeds`` (the loop
  over seeds), ``summary`` (mean and sample standard deviation); results.json
  is written atomically by ``lstmjax.train.atomic.write_json``;
- loaders of data that ships in packages: ``packages``, ``japanese_vowels``,
  ``series``, ``anomaly_series``, ``text``;
- baselines and metrics of one experiment each: ``dtw``, ``seasonal_naive``,
  ``forecast_metrics``, ``window_scaling``, ``rolling_zscore``,
  ``detection_metrics``, ``compression``.

Import the submodules, e.g. ``from experiments.common.dtw import dtw_distances``;
this package re-exports nothing.
"""
