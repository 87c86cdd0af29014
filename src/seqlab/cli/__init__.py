"""The three entry points: `seqlab` (main), `seqlab-report` (report), `seqlab-predict` (predict)."""
