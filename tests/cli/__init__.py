"""Tests of the command line: commands, config file, shell pipelines and exit codes."""
