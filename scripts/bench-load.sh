#!/usr/bin/env bash
# bench-load.sh: `ccgw load` against the vegeta CLI, side by side in one run
# against the same mock gateway (`ccgw mock`, static auth, one process) with
# the same agents and the same connection and worker counts, over HTTPS/1.1:
#
#   (a) CPU time per request at a fixed rate (RATE/s for DURATION): user+sys
#       of each client process from GNU time, divided by its requests.
#       Target: ccgw/vegeta <= 1.0, although ccgw judges every body, signs
#       its agents in and out, polls their events and writes the reports.
#   (b) maximum achieved rate, closed model: WORKERS requests in flight for
#       DURATION (vegeta: -rate=0 -workers=WORKERS -max-workers=WORKERS).
#       Target: ccgw/vegeta >= 0.9.
#
# The mock, both clients and this script share the machine's cores, so the
# figures are ratios within one run, not capacities. ccgw's agents are
# signed in by ccgw itself; vegeta's targets carry the Guids of the same
# agents signed in with curl beforehand (and signed out after).
#
# Usage: scripts/bench-load.sh     (from anywhere; writes out/bench/load/)
# Env:   RATE (2000), DURATION (10s), AGENTS (100), CONNS (64), WORKERS (64),
#        RUNS (3: runs of each measurement, in ABBA order; medians are shown)
# Needs: go, curl, GNU time at /usr/bin/time (Debian: apt-get install -y time).
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-2000}
DURATION=${DURATION:-10s}
AGENTS=${AGENTS:-100}
CONNS=${CONNS:-64}
WORKERS=${WORKERS:-64}
RUNS=${RUNS:-3}
FIRST=1001
LAST=$((FIRST + AGENTS - 1))
B=out/bench
D=$B/load
mkdir -p "$D"

for tool in curl /usr/bin/time; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench-load: needs $tool (Debian: apt-get install -y curl time)" >&2
		exit 2
	fi
done

echo "building ccgw and vegeta into $B ..."
go build -o "$B/ccgw" ./cmd/ccgw
go build -o "$B/vegeta" github.com/tsenart/vegeta/v12

# A throw-away password for this mock only, passed through the environment.
CCGW_BENCH_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CCGW_BENCH_PASSWORD

mock_pid=
cleanup() {
	if [[ -n $mock_pid ]]; then
		kill "$mock_pid" 2>/dev/null || true
		wait "$mock_pid" 2>/dev/null || true
	fi
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
	echo "bench-load: the mock did not start:" >&2
	cat "$D/mock.err" >&2
	exit 2
fi
echo "mock gateway at $url (static auth), $AGENTS agents $FIRST-$LAST"

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
  max: {agents: $AGENTS, concurrency: $WORKERS, connections: $CONNS, duration: $DURATION}
EOF

api=$url/agentgateway/resource/onlineagent

# vegeta's agents: the same IDs, signed in with curl; the targets file carries
# their Guids (it is deleted at the end).
vegeta_signin() {
	: >"$D/vegeta-targets.txt"
	for id in $(seq "$FIRST" "$LAST"); do
		guid=$(printf '{"password":"%s","phonenum":"7%s"}' "$CCGW_BENCH_PASSWORD" "$id" |
			curl -sS --cacert "$D/mock.pem" -X PUT -H 'Content-Type: application/json; charset=UTF-8' \
				--data-binary @- -D - -o /dev/null "$api/$id" |
			tr -d '\r' | sed -n 's/^[Ss]et-[Gg][Uu][Ii][Dd]: *JSESSIONID=//p')
		if [[ -z $guid ]]; then
			echo "bench-load: curl could not sign agent $id in" >&2
			exit 2
		fi
		printf 'POST %s/%s/logininfo\nContent-Type: application/json; charset=UTF-8\nGuid: %s\n\n' \
			"$api" "$id" "$guid" >>"$D/vegeta-targets.txt"
	done
}
vegeta_signout() {
	awk '/^POST /{n = split($2, p, "/"); id = p[n - 1]} /^Guid: /{print id, $2}' "$D/vegeta-targets.txt" |
		while read -r id guid; do
			curl -sS --cacert "$D/mock.pem" -X DELETE -H "Guid: $guid" -o /dev/null "$api/$id/logout" || true
		done
	rm -f "$D/vegeta-targets.txt"
}

# cpu FILE CMD...: runs CMD under GNU time; FILE gets "user sys elapsed".
cpu() {
	local f=$1
	shift
	/usr/bin/time -f '%U %S %e' -o "$f" "$@" >/dev/null 2>"$f.err" || true
}
cpu_s() { tail -n 1 "$1" | awk '{printf "%.2f", $1 + $2}'; }
# jnum FILE KEY: the first KEY in FILE, which is the top-level one in a
# report.json (per-call and per-step objects further down repeat the names).
jnum() { tr -d ' \n' <"$1" | grep -o "\"$2\":[0-9.eE+-]*" | head -n 1 | cut -d: -f2; }
ccgw_achieved() { tr -d ' \n' <"$1" | grep -o '"rate":{"requested":[0-9.eE+-]*,"achieved":[0-9.eE+-]*}' | head -n 1 | sed 's/.*"achieved":\([0-9.eE+-]*\)}/\1/'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

: >"$D/rows"
ccgw_fixed() {
	echo "run $run/$RUNS: ccgw load, fixed rate $RATE/s for $DURATION ..."
	cpu "$D/ccgw-fixed.time" "$B/ccgw" load --quiet --targets "$D/targets.yaml" --target bench --plan fixed --out "$D/ccgw-fixed"
}
ccgw_max() {
	echo "run $run/$RUNS: ccgw load, closed model $WORKERS workers for $DURATION ..."
	cpu "$D/ccgw-max.time" "$B/ccgw" load --quiet --targets "$D/targets.yaml" --target bench --plan max --out "$D/ccgw-max"
}
vegeta_fixed() {
	echo "run $run/$RUNS: vegeta attack, fixed rate $RATE/s for $DURATION ..."
	cpu "$D/vegeta-fixed.time" "$B/vegeta" attack -targets="$D/vegeta-targets.txt" -rate="$RATE/1s" -duration="$DURATION" \
		-http2=false -connections="$CONNS" -max-connections="$CONNS" -workers="$CONNS" -max-workers="$((CONNS * 2))" \
		-root-certs="$D/mock.pem" -output="$D/vegeta-fixed.bin"
}
vegeta_max() {
	echo "run $run/$RUNS: vegeta attack, -rate=0 with $WORKERS workers for $DURATION ..."
	cpu "$D/vegeta-max.time" "$B/vegeta" attack -targets="$D/vegeta-targets.txt" -rate=0 -duration="$DURATION" \
		-http2=false -connections="$CONNS" -max-connections="$CONNS" -workers="$WORKERS" -max-workers="$WORKERS" \
		-root-certs="$D/mock.pem" -output="$D/vegeta-max.bin"
}
for run in $(seq "$RUNS"); do
	# ABBA order, so that drift of the machine's load (other processes)
	# does not favour one client. ccgw signs its agents in itself; vegeta's
	# are signed in around its runs only (the same agents cannot be signed
	# in twice).
	if ((run % 2)); then
		ccgw_fixed
		vegeta_signin
		vegeta_fixed
		vegeta_max
		vegeta_signout
		ccgw_max
	else
		vegeta_signin
		vegeta_fixed
		vegeta_signout
		ccgw_fixed
		ccgw_max
		vegeta_signin
		vegeta_max
		vegeta_signout
	fi
	"$B/vegeta" report -type=json "$D/vegeta-fixed.bin" >"$D/vegeta-fixed.json"
	"$B/vegeta" report -type=json "$D/vegeta-max.bin" >"$D/vegeta-max.json"

	for m in fixed max; do
		cr=$(jnum "$D/ccgw-$m/report.json" requests)
		ca=$(ccgw_achieved "$D/ccgw-$m/report.json")
		vr=$(jnum "$D/vegeta-$m.json" requests)
		va=$(jnum "$D/vegeta-$m.json" rate)
		if [[ -z $cr || -z $vr ]]; then
			echo "bench-load: a $m run produced no report (see $D/*.err)" >&2
			exit 2
		fi
		echo "$m $cr $ca $(cpu_s "$D/ccgw-$m.time") $vr $va $(cpu_s "$D/vegeta-$m.time")" >>"$D/rows"
	done
done

col() { awk -v m="$1" -v c="$2" '$1 == m {print $c}' "$D/rows" | median; }
printf '\n%-28s %10s %12s %8s %12s\n' "client / measurement" requests "rate /s" "CPU s" "CPU µs/req"
for m in fixed max; do
	for who in ccgw vegeta; do
		if [[ $who == ccgw ]]; then r=$(col "$m" 2) a=$(col "$m" 3) c=$(col "$m" 4); else r=$(col "$m" 5) a=$(col "$m" 6) c=$(col "$m" 7); fi
		label="$who load, fixed $RATE/s"
		[[ $who == vegeta ]] && label="vegeta CLI, fixed $RATE/s"
		[[ $m == max ]] && label="$who, closed $WORKERS workers"
		awk -v l="$label" -v r="$r" -v a="$a" -v c="$c" 'BEGIN {printf "%-28s %10d %12.1f %8.2f %12.1f\n", l, r, a, c, (r > 0) ? c / r * 1e6 : 0}'
	done
done
awk -v cr="$(col fixed 2)" -v cc="$(col fixed 4)" -v vr="$(col fixed 5)" -v vc="$(col fixed 7)" \
	-v ca="$(col max 3)" -v va="$(col max 6)" 'BEGIN {
	cpu = (cc / cr) / (vc / vr); mx = ca / va
	printf "\n(a) CPU per request ccgw/vegeta at %s/s: %.2f (target <= 1.0) %s\n", ENVIRON["RATE"] ? ENVIRON["RATE"] : 2000, cpu, (cpu <= 1.0) ? "ok" : "MISSED"
	printf "(b) maximum rate ccgw/vegeta:            %.2f (target >= 0.9) %s\n", mx, (mx >= 0.9) ? "ok" : "MISSED"
	exit !(cpu <= 1.0 && mx >= 0.9) }'
