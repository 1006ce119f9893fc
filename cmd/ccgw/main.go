// Command ccgw is the CC-Gateway contract- and load-testing harness: a mock
// gateway, load plans driven by vegeta, and reports with SLO gates.
//
// Usage:
//
//	ccgw <command> [flags]
//
// Commands: mock, load, capacity, report, compare, shards, version. Run `ccgw <command> -h` for each
// command's flags and examples.
package main

import (
	"embed"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"ccgw-harness/internal/errext"
	"ccgw-harness/reports"
)

// Exit codes shared by every command (errext's, the one definition).
const (
	exitOK          = errext.ExitOK
	exitGateFailed  = errext.ExitGateFailed
	exitHarness     = errext.ExitHarness
	exitInterrupted = errext.ExitInterrupted
)

// command is one entry of the command table.
type command struct {
	// run runs the command; its error carries the exit code (exitHarness
	// unless errext.WithExitCode says otherwise) and the message to print.
	run     func(args []string, stdout, stderr io.Writer) error
	summary string
	// flags builds the command's flag set without running it (nil: the
	// command takes no flags), so that every flag of every command can be
	// listed.
	flags func() *flag.FlagSet
}

var commands = map[string]command{
	"mock": {runMock, "serve the mock CC-Gateway over HTTPS",
		func() *flag.FlagSet { return newMockFlags(&mockFlags{}, io.Discard) }},
	"load": {runLoad, "run a load plan against a target and write reports",
		func() *flag.FlagSet { return newLoadFlags(&loadFlags{}, noEnv) }},
	"report": {runReport, "rebuild reports and the verdict from results files",
		func() *flag.FlagSet { fs, _ := newReportFlags(io.Discard); return fs }},
	"capacity": {runCapacity, "find the highest rate a target sustains within the SLOs",
		func() *flag.FlagSet { return newCapacityFlags(&capacityFlags{}, noEnv) }},
	"shards": {runShards, "run a plan as N local shards coordinated by shard 0, as the Kubernetes Job does",
		func() *flag.FlagSet { return newShardsFlags(&shardsFlags{set: map[string]bool{}}, noEnv) }},
	"compare": {runCompare, "compare a run with a baseline run and gate on regressions",
		func() *flag.FlagSet { th := reports.DefaultThresholds(); fs, _, _ := newCompareFlags(&th); return fs }},
	"version": {runVersion, "print the version", nil},
}

// noEnv is an empty environment.
func noEnv(string) string { return "" }

// flagLineRe is a flag's line in the usage flag.PrintDefaults writes (the
// tests check each command's flag builder against its -h with it).
var flagLineRe = regexp.MustCompile(`(?m)^  -([A-Za-z0-9][A-Za-z0-9_-]*)`)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command args[0] with the rest of args and returns the exit
// code its error carries, printing the error's one message first.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitHarness
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ccgw: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitHarness
	}
	err := cmd.run(args[1:], stdout, stderr)
	if msg := errext.Message(err); msg != "" {
		fmt.Fprintf(stderr, "ccgw %s: %s\n", args[0], msg)
	}
	if code, ok := errext.ExitCode(err); ok || err == nil {
		return code
	}
	return exitHarness
}

// usageFiles are the -h texts: usage/NAME.txt of each command, and
// usage/ccgw.txt of ccgw itself. They are printed as they are (not format
// strings).
//
//go:embed usage/*.txt
var usageFiles embed.FS

// usageText is usage/NAME.txt cut after its line at: what is printed
// before the flags (the commands, for ccgw) and what after them.
func usageText(name, at string) (before, after string) {
	b, err := usageFiles.ReadFile("usage/" + name + ".txt")
	if err != nil {
		panic(err)
	}
	before, after, ok := strings.Cut(string(b), "\n"+at+"\n")
	if !ok {
		panic("usage/" + name + ".txt: no line " + at)
	}
	return before + "\n" + at + "\n", after
}

// printUsage writes command name's -h to w: its usage text with fs's
// flags after its "Flags:" line.
func printUsage(w io.Writer, fs *flag.FlagSet, name string) {
	before, after := usageText(name, "Flags:")
	fmt.Fprint(w, before)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, after)
}

// usage writes ccgw's own -h to w: usage/ccgw.txt with the commands.
func usage(w io.Writer) {
	before, after := usageText("ccgw", "Commands:")
	fmt.Fprint(w, before)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, after)
}
