#!/usr/bin/env bash
# bench-metrics.sh: what the live metrics cost. `ccgw load` at a fixed rate
# against one `ccgw mock` (static auth, one process), with and without
# --metrics-addr, side by side in one run, in ABBA order:
#
#   CPU time per request (user+sys of the ccgw process from GNU time,
#   divided by its requests). With metrics, /metrics is scraped every
#   SCRAPE_INTERVAL during the run (the server's work is in ccgw's CPU; the
#   scraper's is not). Target: with/without <= 1.05, the ratio of the two
#   medians. The median of the ratios within each ABBA pair is printed
#   beside it: it cancels the drift of a shared machine's load between
#   pairs, and tells whether a miss is the metrics' or the machine's.
#
# The mock, the client and this script share the machine's cores, so the
# figures are ratios within one run, not capacities; on a busy machine the
# medians of more runs (RUNS) and longer ones (DURATION) are steadier.
#
# Usage: scripts/bench-metrics.sh     (from anywhere; writes out/bench/metrics/)
# Env:   RATE (2000), DURATION (10s), AGENTS (100), CONNS (64),
#        SCRAPE_INTERVAL (1: seconds between scrapes), RUNS (5 of each)
# Needs: go, curl, GNU time at /usr/bin/time (Debian: apt-get install -y curl time).
# Exit status: 0 when the target is met, 1 otherwise, 2 on a harness error.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-2000}
DURATION=${DURATION:-10s}
AGENTS=${AGENTS:-100}
CONNS=${CONNS:-64}
SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-1}
RUNS=${RUNS:-5}
FIRST=1001
LAST=$((FIRST + AGENTS - 1))
B=out/bench
D=$B/metrics
mkdir -p "$D"

for tool in curl /usr/bin/time; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench-metrics: needs $tool (Debian: apt-get install -y curl time)" >&2
		exit 2
	fi
done

echo "building ccgw into $B ..."
go build -o "$B/ccgw" ./cmd/ccgw

# A throw-away password for this mock only, passed through the environment.
CCGW_BENCH_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CCGW_BENCH_PASSWORD

mock_pid=
load_pid=
cleanup() {
	for p in $load_pid $mock_pid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT

"$B/ccgw" mock --addr 127.0.0.1:0 --auth-mode static --cert-out "$D/mock.pem" \
	--password-env CCGW_BENCH_PASSWORD >"$D/mock.out" 2>"$D/mock.err" &
mock_pid=$!
url=
for _ in $(seq 100); do
	url=$(sed -n 's/^listening on \(https:\/\/[^ ]*\)$/\1/p' "$D/mock.out" 2>/dev/null || true)
	[[ -n $url ]] && break
	sleep 0.1
done
if [[ -z $url ]]; then
	echo "bench-metrics: the mock did not start:" >&2
	cat "$D/mock.err" >&2
	exit 2
fi
echo "mock gateway at $url (static auth), $AGENTS agents $FIRST-$LAST, $RATE/s for $DURATION"

cat >"$D/targets.yaml" <<EOF
targets:
  bench:
    url: $url
    tls: {ca_file: mock.pem}
    auth_mode: static
    agents: {ids: "$FIRST-$LAST", phonenum_prefix: "7", password_env: CCGW_BENCH_PASSWORD}
    allow_load: true
plans:
  fixed: {agents: $AGENTS, rate: $RATE, duration: $DURATION, connections: $CONNS}
EOF

cpu_s() { tail -n 1 "$1" | awk '{printf "%.3f", $1 + $2}'; }
# jnum FILE KEY: the first KEY in FILE, which is the top-level one in a
# report.json (per-call and per-step objects further down repeat the names).
jnum() { tr -d ' \n' <"$1" | grep -o "\"$2\":[0-9.eE+-]*" | head -n 1 | cut -d: -f2; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# one NAME [FLAGS...]: one ccgw load run under GNU time; with metrics, a
# scraper follows the address it prints and scrapes until the run ends.
one() {
	local name=$1
	shift
	local out="$D/$name"
	rm -rf "$out"
	/usr/bin/time -f '%U %S %e' -o "$D/$name.time" "$B/ccgw" load --quiet --targets "$D/targets.yaml" \
		--target bench --plan fixed --out "$out" "$@" >/dev/null 2>"$D/$name.err" &
	load_pid=$!
	local scrapes=0
	if [[ $# -gt 0 ]]; then
		local murl=
		while kill -0 "$load_pid" 2>/dev/null && [[ -z $murl ]]; do
			murl=$(sed -n 's/^metrics: listening on \(http:\/\/[^ ]*\/metrics\)$/\1/p' "$D/$name.err" 2>/dev/null || true)
			[[ -z $murl ]] && sleep 0.05
		done
		while kill -0 "$load_pid" 2>/dev/null; do
			if curl -sS -m 5 -o "$D/$name.scrape" "$murl" 2>/dev/null; then
				scrapes=$((scrapes + 1))
			fi
			sleep "$SCRAPE_INTERVAL"
		done
	fi
	wait "$load_pid" || true
	load_pid=
	if [[ $# -gt 0 && $scrapes -eq 0 ]]; then
		echo "  warning: run $name was never scraped (see $D/$name.err)" >&2
	fi
	local req
	req=$(jnum "$out/report.json" requests)
	if [[ -z $req || $req == 0 ]]; then
		echo "bench-metrics: run $name produced no report (see $D/$name.err)" >&2
		exit 2
	fi
	local cpu
	cpu=$(cpu_s "$D/$name.time")
	awk -v n="$name" -v c="$cpu" -v r="$req" -v s="$scrapes" \
		'BEGIN {printf "  %-12s %8d requests  CPU %6.2f s  %6.1f µs/req  %d scrapes\n", n, r, c, c / r * 1e6, s}'
	echo "$name $(awk -v c="$cpu" -v r="$req" 'BEGIN {print c / r * 1e6}') $run" >>"$D/rows"
}

: >"$D/rows"
for run in $(seq "$RUNS"); do
	echo "run $run/$RUNS:"
	if ((run % 2)); then
		one off
		one on --metrics-addr 127.0.0.1:0 --metrics-linger 0s
	else
		one on --metrics-addr 127.0.0.1:0 --metrics-linger 0s
		one off
	fi
done

col() { awk -v m="$1" '$1 == m {print $2}' "$D/rows" | median; }
off=$(col off)
on=$(col on)
pairs=$(awk '{v[$3, $1] = $2} END {for (k in v) {split(k, p, SUBSEP); if (p[2] == "on") print v[p[1], "on"] / v[p[1], "off"]}}' "$D/rows" | median)
awk -v off="$off" -v on="$on" -v pairs="$pairs" -v runs="$RUNS" 'BEGIN {
	r = on / off
	printf "\nCPU per request, medians of %d runs each: without metrics %.1f µs, with --metrics-addr %.1f µs\n", runs, off, on
	printf "median of the ratios within each ABBA pair: %.3f\n", pairs
	printf "ratio with/without: %.3f (target <= 1.05) %s\n", r, (r <= 1.05) ? "ok" : "MISSED"
	exit !(r <= 1.05) }'
