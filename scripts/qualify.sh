#!/usr/bin/env bash
# Release qualification against one target: the contract suite, then a load
# plan, then the SLO gates. Called by `make qualify`; exits with the gate's
# code (0 pass, 1 gate or contract failed, 2 harness error, 130 interrupted).
set -uo pipefail
targets=${1:?targets file} target=${2:?target} plan=${3:?plan} out=${4:?out dir}

mkdir -p "$out" || { echo "qualify: cannot create $out" >&2; exit 2; }
echo "== 1/3 contract suite against target $target ($targets)"
make --no-print-directory contract TARGETS="$targets" TARGET="$target" CONTRACT_OUT="$out"
rc=$?
if [ $rc -ne 0 ]; then
  echo "qualify: FAIL: the contract suite failed against $target; see $out/contract-junit.xml" >&2
  [ $rc -eq 130 ] && exit 130
  exit 1
fi

echo "== 2/3 load plan $plan against target $target"
bin/ccgw load --targets "$targets" --target "$target" --plan "$plan" --out "$out"
rc=$?

echo "== 3/3 gates"
case $rc in
  0)   echo "qualify: PASS: contract suite and every SLO gate held" ;;
  1)   echo "qualify: FAIL: an SLO gate failed (see $out/summary.txt)" >&2 ;;
  130) echo "qualify: INTERRUPTED: partial reports in $out" >&2 ;;
  *)   echo "qualify: ERROR: the load run could not complete (exit $rc)" >&2 ;;
esac
echo "reports: $out/summary.txt $out/report.html $out/report.json $out/junit.xml $out/contract-junit.xml"
exit $rc
