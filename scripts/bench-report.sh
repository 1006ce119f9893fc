#!/usr/bin/env bash
# bench-report.sh: times `ccgw report` against `vegeta report` over the same
# vegeta gob results files, 3 runs each, alternating, and prints the medians
# of wall time, CPU time (user+sys) and peak RSS.
#
# Targets: wall-time ratio vegeta/ccgw >= 1.0, and ccgw peak RSS <= 50 MB
# whatever the number of results (every file spans the same 1000 s and
# 1000 agents, so only the number of results changes: RSS must stay flat).
# On a busy machine wall times swing; the CPU-time ratio is steadier.
#
# Usage: scripts/bench-report.sh            (from anywhere; writes out/bench/)
#        BENCH_SIZES="100000 1000000 3000000" RUNS=5 scripts/bench-report.sh
# Needs: go, GNU time at /usr/bin/time (Debian: apt-get install -y time).
# Exit status: 0 when every target is met, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

B=out/bench
RUNS=${RUNS:-3}
read -r -a SIZES <<<"${BENCH_SIZES:-100000 1000000}"
mkdir -p "$B"

if [[ ! -x /usr/bin/time ]]; then
	echo "bench-report: needs GNU time at /usr/bin/time (apt-get install -y time)" >&2
	exit 2
fi

echo "building ccgw, vegeta and genresults into $B ..."
go build -o "$B/ccgw" ./cmd/ccgw
go build -o "$B/vegeta" github.com/tsenart/vegeta/v12
go build -o "$B/genresults" ./scripts/genresults

for n in "${SIZES[@]}"; do
	f="$B/report-results-$n.bin"
	if [[ ! -s "$f" ]]; then
		echo "generating $f ..."
		# The same 1000 s span and 1000 agents at every size.
		"$B/genresults" -n "$n" -rate "$((n / 1000))" -agents 1000 -out "$f"
	fi
done

# measure OUT CMD...: runs CMD under GNU time, appends "wall_s rss_kb cpu_s".
measure() {
	local out=$1
	shift
	local t
	t=$(mktemp)
	# ccgw report exits 1 when an SLO gate fails: that is not a bench failure.
	/usr/bin/time -f '%e %M %U %S' -o "$t" "$@" >/dev/null 2>&1 || true
	tail -n 1 "$t" | awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' >>"$out"
	rm -f "$t"
}

# median COLUMN FILE
median() { cut -d' ' -f"$1" "$2" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf '\n%-9s %8s %8s %6s | %8s %8s %6s | %8s %9s  %s\n' \
	results ccgw_s vegeta_s ratio ccgw_cpu veg_cpu ratio ccgw_MB vegeta_MB verdict
status=0
for n in "${SIZES[@]}"; do
	f="$B/report-results-$n.bin"
	cat "$f" >/dev/null # warm the page cache for both
	c=$(mktemp)
	v=$(mktemp)
	for _ in $(seq "$RUNS"); do
		measure "$c" "$B/ccgw" report --quiet --out "$B/report-$n" "$f"
		measure "$v" "$B/vegeta" report "$f"
	done
	ct=$(median 1 "$c") vt=$(median 1 "$v") cm=$(median 2 "$c") vm=$(median 2 "$v")
	cc=$(median 3 "$c") vc=$(median 3 "$v")
	rm -f "$c" "$v"
	line=$(awk -v n="$n" -v ct="$ct" -v vt="$vt" -v cm="$cm" -v vm="$vm" -v cc="$cc" -v vc="$vc" 'BEGIN {
		r = (ct > 0) ? vt / ct : 0
		rc = (cc > 0) ? vc / cc : 0
		v = (r >= 1.0 && cm / 1024 <= 50) ? "ok" : "MISSED"
		printf "%-9s %8.2f %8.2f %6.2f | %8.2f %8.2f %6.2f | %8.1f %9.1f  %s", n, ct, vt, r, cc, vc, rc, cm / 1024, vm / 1024, v }')
	[[ $line == *" ok" ]] || status=1
	echo "$line"
done
echo
echo "medians of $RUNS runs; ratio = vegeta / ccgw (target >= 1.0 for wall time); ccgw peak RSS target <= 50 MB"
exit $status
