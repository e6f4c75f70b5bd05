#!/usr/bin/env bash
# The simulated fleet's scenario 1 at N nodes (default 1000): every node a
# real hull-agent process on its own disk image, 5 reboots at once through
# two `hull fleetlock serve` replicas on etcd, releases served by nginx
# (docs/fleetlock.md "The simulated fleet"). Prints the time to converge,
# nginx's bytes per node, the agent's peak RssAnon and the most holders
# etcd's history shows. Then scenario 4 at full length: faults during a
# rollout on a 3-member etcd, nginx answering 503 for 60 s (ctest: 20 s).
# Needs the test tree (HULL_TESTS=ON).
# Usage: rollout-sim.sh [BUILD] [N]
set -euo pipefail
build=${1:-build}
n=${2:-${HULL_SIM_NODES:-1000}}
test=$build/tests/sim/rollout_sim
[ -x "$test" ] || { echo "rollout-sim: $test not built (configure with -DHULL_TESTS=ON)"; exit 2; }
HULL_BIN=$(realpath "$build/hull") HULL_AGENT=$(realpath "$build/hull-agent") HULL_SIM_NODES=$n \
  "$test" --gtest_filter='RolloutSim.A_*'
HULL_BIN=$(realpath "$build/hull") HULL_AGENT=$(realpath "$build/hull-agent") \
  HULL_SIM_503_SECONDS=${HULL_SIM_503_SECONDS:-60} "$test" --gtest_filter='RolloutSimFaults.*'
