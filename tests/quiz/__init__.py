"""Tests for twitterdesign.quiz."""
