"""Models over Kizuki's tables and texts: intent classification, topic discovery and more."""
