"""Tests of altool.train: training, NER training, spaCy export."""
