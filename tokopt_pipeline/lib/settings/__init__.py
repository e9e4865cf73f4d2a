"""A summary's settings: :mod:`.options` (what the engine takes), :mod:`.presets`
(named sets and the defaults), :mod:`.profile_files` (saved profiles, validated) and
:mod:`.layers` (defaults, preset, profile and explicit values, layered in one place)."""
