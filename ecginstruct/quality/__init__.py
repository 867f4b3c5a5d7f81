"""Quality loop of a built dataset (docs/quality.md): ``ecginstruct quality`` and ``eval``.

* :mod:`~ecginstruct.quality.run` -- ``run_quality(out, report_dir)``: every check, one verdict;
* :mod:`~ecginstruct.quality.text_checks`, :mod:`~ecginstruct.quality.split_checks`,
  :mod:`~ecginstruct.quality.fidelity` -- the checks; :mod:`~ecginstruct.quality.config` -- their
  thresholds (``manifests/quality.yaml``) and the pass/fail rule;
* :mod:`~ecginstruct.quality.probe` -- the learnability probe (torch, imported lazily);
* :mod:`~ecginstruct.quality.scorer`, :mod:`~ecginstruct.quality.metrics` -- ECGBench-style
  scoring of any model's answers; :mod:`~ecginstruct.quality.hf_model` -- the ``--model`` hook;
* :mod:`~ecginstruct.quality.report` -- Markdown/HTML report and plots;
  :mod:`~ecginstruct.quality.corrupt` -- deliberately broken copies for tests and benchmarks.

Nothing heavy is imported here: torch and transformers load only when the probe or the model
hook runs.
"""
