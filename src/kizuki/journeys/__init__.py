"""Journey maps shipped with Kizuki (YAML package data); read them with
:func:`kizuki.journey.load_journey`."""
