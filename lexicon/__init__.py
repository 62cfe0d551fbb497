"""The build of the shipped lexicon from curated entries and offline sources."""
