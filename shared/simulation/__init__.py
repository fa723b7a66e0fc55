"""Simulation: which products a company is eligible for and how much it can recover (pure engine).

The rules, rates and questionnaire are data (``rulesets/<version>.json``, validated by ``models``);
``engine`` evaluates answers against them without any I/O; ``cli`` is the ``fintrack simulate`` contract.
"""
