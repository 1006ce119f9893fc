// Package results is the format of a run's directory: what a load run
// records, and how it is read back. A run writes every call it makes as one
// vegeta result, judged (Error holds a gateway.Verdict string), with no body
// and no headers but the harness's own (the Header* constants): the measured
// logininfo requests to ResultsFile, the agents' own calls to CallsFile
// (IsTopLevel decides which), and what the results do not say (plan,
// requested rate, agents, objectives, how the run ended) to MetaFile as a
// Meta. ReadFiles and ReadFilesEach read run directories and results files
// back into any Sink (the reports' Aggregator), merged in timestamp order
// and robust to files cut short by a killed run; ExpandResults turns run
// directories into their results files, FindShards tells the shards of a
// distributed run among them, and MergeShardMeta makes the Meta of the one
// run that the shards are. The user's side of the format is
// docs/results-files.md.
package results
