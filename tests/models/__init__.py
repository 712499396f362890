"""Tests of altool.models: the text models, the encoder, the NER model, calibration, patterns."""
