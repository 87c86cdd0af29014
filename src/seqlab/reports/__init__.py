"""Reading a sweep: its jobs' rows from their records, the statistics of repeated seeds,
the comparisons with a baseline, and the table, chart and page that say them. Reads
only files, so it serves the end of a sweep and `seqlab-report` on any folder alike;
it never runs a job (that is `seqlab.sweeps`)."""
