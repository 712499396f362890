"""Tests of altool.recipes: the recipe API, the built-in recipes, the example recipes."""
