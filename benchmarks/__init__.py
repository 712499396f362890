"""altool's benchmarks: measurements of the real program and of its active learning, not
pass/fail tests. Each script is run from the project root as ``python -m benchmarks.NAME``
(``--help`` lists its options), prints what it measured and rewrites its own section of
``benchmarks/RESULTS.md`` (reliability.py: ``benchmarks/RELIABILITY.md``). What several scripts
share lives in helper modules that run nothing themselves: ``common`` (the machine line, the
results file, the datasets, pools and files of unique texts, shared formatting), ``terminal``
(the ``altool`` executable in a private tmux server), ``timing`` (update, rescore and query
times of the models) and ``peers`` (modAL and small-text on altool's features); scripts
import those, never each other.
"""
