"""Acting on friction: the hint replied in a learner's thread (`hints`, `hint_message`) and fixes
recorded with their measured effect (`fixes`)."""
