"""Running a sweep: its plan, the checks before the first job, the launchers seqlab knows
(and the interleaving one), repeats=auto's rounds, and the driver's one way to stop.
What a sweep's folder says is read by `seqlab.reports`."""
