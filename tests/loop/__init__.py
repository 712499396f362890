"""Tests of altool.loop: session, worker, worker process, stop signal, NER loop, claims."""
