#!/usr/bin/env bash
# The side-by-side run of docs/benchmarks.md, in one command (from the repository root):
#
#   benchmarks/run.sh           the full run (about 20 minutes): JMH with 3 forks, 500,000 round trips per
#                               ping-pong mode, 30 s of idle; writes docs/benchmarks.svg and
#                               benchmarks/target/results/table.md
#   benchmarks/run.sh --quick   a check that everything runs (about 5 minutes): 1 fork, 1 × 1 s iterations,
#                               fewer round trips; writes benchmarks/target/results/benchmarks.svg instead
#   benchmarks/run.sh --openamp only the OpenAMP pairing of the full run (about 2 minutes): echoes per second
#                               of the C-program model and rptun as flood host and echo remote, each pair
#                               against each (benchmarks/target/results/openamp.txt and .json)
#   benchmarks/run.sh --floods  only the echo floods of the full run (about 4 minutes): the OpenAMP pairing
#                               above, then 17-byte echoes per second over the futex and NuttX counter
#                               doorbells, one ping per publication beside batches (floods.txt and .json)
#
# Builds the module first. Every figure comes from this one run; the results (JMH JSON, ping-pong and
# idle JSON, the table, the chart) land in benchmarks/target/results/. The benchmarks spin on two
# threads: run it on an idle machine (the load before the run is written into the report).
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/java25.sh

quick=false
openamp_only=false
floods_only=false
if [ "${1:-}" = "--quick" ]; then
  quick=true
elif [ "${1:-}" = "--openamp" ]; then
  openamp_only=true
elif [ "${1:-}" = "--floods" ]; then
  floods_only=true
elif [ $# -gt 0 ]; then
  echo "usage: benchmarks/run.sh [--quick | --openamp | --floods]" >&2
  exit 2
fi

# -DskipTests, not -Dmaven.test.skip: the models of OpenAMP's C programs come from rptun-sim's test jar.
./mvnw -B -q -pl benchmarks -am package -DskipTests
jar=benchmarks/target/benchmarks.jar
out=benchmarks/target/results
mkdir -p "$out"
if $openamp_only || $floods_only; then
  echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
  java --enable-native-access=ALL-UNNAMED -cp "$jar" io.rptun.benchmarks.harness.OpenAmpEchoMain \
    --warmup 100000 --count 500000 --rounds 3 --json "$out/openamp.json" | tee "$out/openamp.txt"
  if $floods_only; then
    java --enable-native-access=ALL-UNNAMED -cp "$jar" io.rptun.benchmarks.harness.EchoFloodMain \
      --warmup 200000 --count 1000000 --rounds 3 --json "$out/floods.json" | tee "$out/floods.txt"
  fi
  echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
  exit 0
fi
load="$(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
echo "load average before the run: $load"
# The 1-minute load every 10 s while it runs, for the report: on a shared machine the figures need it.
: > "$out/load.txt"
( while :; do cut -d' ' -f1 /proc/loadavg >> "$out/load.txt"; sleep 10; done ) &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT

# The one-way suite: rptun core and reactive, Aeron IPC, the two in-process limits, and the design probe.
jmh_args=(-prof gc -rf json -rff "$out/jmh.json")
if $quick; then
  jmh_args+=(-wi 1 -i 1 -w 1s -r 1s -f 1)
  pingpong_args=(--warmup 20000 --count 50000)
  idle_args=(--seconds 5 --settle 3)
  openamp_args=(--warmup 20000 --count 100000 --rounds 1)
  flood_args=(--warmup 50000 --count 200000 --rounds 1)
  svg="$out/benchmarks.svg"
else
  jmh_args+=(-f 3)
  pingpong_args=(--warmup 100000 --count 500000)
  idle_args=(--seconds 30 --settle 10)
  openamp_args=(--warmup 100000 --count 500000 --rounds 3)
  flood_args=(--warmup 200000 --count 1000000 --rounds 3)
  svg=docs/benchmarks.svg
fi
java -jar "$jar" 'OneWay|RptunProbe|PathCost|RoundTripCost' "${jmh_args[@]}" | tee "$out/jmh.txt"
# The same one-way sends over larger rings (2048 entries, 1 MiB of buffers per ring instead of 128 KiB), 64 B only.
ring_args=(-prof gc -rf json -rff "$out/jmh-rings.json" "${jmh_args[@]:6}")
java -jar "$jar" 'RptunOneWay' -p payload=64 -p api=try-send,batch-32 -p ring=2048 "${ring_args[@]}" \
  | tee "$out/jmh-rings.txt"

java --enable-native-access=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp "$jar" \
  io.rptun.benchmarks.harness.PingPongMain "${pingpong_args[@]}" --json "$out/pingpong.json" | tee "$out/pingpong.txt"

# Echoes per second over OpenAMP's Linux demo protocol: the model of OpenAMP's C programs and rptun, in
# every pairing (docs/benchmarks.md, "Against OpenAMP's C programs").
java --enable-native-access=ALL-UNNAMED -cp "$jar" \
  io.rptun.benchmarks.harness.OpenAmpEchoMain "${openamp_args[@]}" --json "$out/openamp.json" | tee "$out/openamp.txt"

# Echo floods over the futex and NuttX counter doorbells, one ping per publication beside batches.
java --enable-native-access=ALL-UNNAMED -cp "$jar" \
  io.rptun.benchmarks.harness.EchoFloodMain "${flood_args[@]}" --json "$out/floods.json" | tee "$out/floods.txt"

java --enable-native-access=ALL-UNNAMED -cp "$jar" \
  io.rptun.benchmarks.harness.IdleCpuMain "${idle_args[@]}" --threads --json "$out/idle.json" | tee "$out/idle.txt"

during="$(sort -n "$out/load.txt" | awk '{a[NR]=$1} END {if (NR) printf "median %s, max %s", a[int((NR+1)/2)], a[NR]}')"
java -cp "$jar" io.rptun.benchmarks.harness.ReportMain --jmh "$out/jmh.json" --jmh "$out/jmh-rings.json" --pingpong "$out/pingpong.json" \
  --idle "$out/idle.json" --floods "$out/floods.json" --openamp "$out/openamp.json" --svg "$svg" --markdown "$out/table.md" \
  --load "$load before; 1-min load during the run: $during"
