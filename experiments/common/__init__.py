"""What the experiments share and the library does not hold.

- the recipe every script follows: ``optim`` (the Optax optimizer from the
  config), ``config`` (the config a training run saves), ``seeds`` (the loop
  over seeds), ``summary`` (mean, sample standard deviation, t-interval);
  results.json is written atomically by ``lstmjax.train.atomic.write_json``;
- paired comparisons of two systems on the same items: ``mcnemar``
  (classification), ``diebold_mariano`` (forecast losses), ``bootstrap``
  (paired, i.i.d. or moving-block, e.g. bits per char over test blocks);
- loaders of data that ships in packages: ``packages``, ``uea`` (the UEA/UCR
  classification sets in aeon), ``series``, ``anomaly_series``, ``text``;
- baselines and metrics of one experiment each: ``dtw``, ``minirocket``,
  ``seasonal_naive``, ``forecast_metrics``, ``window_scaling``, ``rolling_zscore``,
  ``difference_scores``, ``matrix_profile``, ``isolation_forest``,
  ``detection_metrics``, ``ucr_score``, ``injected_anomalies``, ``compression``;
- ``readme_table`` (anomaly), ``forecast_table``, ``classify_table``,
  ``recommend_table``: the results rows of docs/guides/experiments.md, generated
  from ``results.json``.

Import the submodules, e.g. ``from experiments.common.dtw import dtw_distances``;
this package re-exports nothing.
"""
