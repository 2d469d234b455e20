/**
 * JMH benchmarks, run by hand from the shaded {@code benchmarks/target/benchmarks.jar} (see the module's
 * README.md), never by the test suite: speed targets live here, not in unit tests.
 *
 * <h2>The side-by-side suite</h2>
 * The {@code *OneWayBenchmark}s ({@link io.rptun.benchmarks.RptunOneWayBenchmark},
 * {@link io.rptun.benchmarks.RptunReactiveOneWayBenchmark}, {@link io.rptun.benchmarks.AeronIpcOneWayBenchmark},
 * {@link io.rptun.benchmarks.SpscQueueOneWayBenchmark}, {@link io.rptun.benchmarks.SegmentRingOneWayBenchmark})
 * share one shape: the benchmark thread sends (one op is one message, copied in; it waits or spins while
 * the queue is full) and a thread of the benchmark's own receives and checks every sequence number, so the
 * plain JMH score is messages per second and {@code -prof gc}'s {@code gc.alloc.rate.norm} is bytes per
 * message (it counts every thread of the JVM). {@link io.rptun.benchmarks.RptunProbeBenchmark} and
 * {@link io.rptun.benchmarks.PathCostBenchmark} are design probes. {@code benchmarks/run.sh} runs them all
 * with the {@code harness} package's mains and writes {@code docs/benchmarks.md}'s table and chart.
 *
 * <h2>The vring benchmarks' shape</h2>
 * {@link io.rptun.benchmarks.VringThroughputBenchmark} and
 * {@link io.rptun.benchmarks.JctoolsSpscThroughputBenchmark} are each one asymmetric JMH group: one
 * sender thread and one receiver thread over one queue, in the manner of JCTools' {@code QueueThroughputBackoffNone}. A benchmark method is a single
 * attempt (an empty poll returns at once, no back-off), so JMH's own group score counts attempts and
 * means little. The figures to read are the {@link org.openjdk.jmh.annotations.AuxCounters}:
 * {@code received} (messages per second, the headline), {@code sent}, and the failed attempts
 * {@code sendFailures} and {@code receiveEmpty}. Every message travels a round trip: the receiver hands
 * its buffer back, and the sender can only send what has come back, so the queues never grow.
 *
 * <h2>Side by side</h2>
 * The machine that runs these is shared and noisy, so absolute figures wander from run to run; compare
 * benchmarks measured in the same run (the vring against
 * {@link io.rptun.benchmarks.JctoolsSpscThroughputBenchmark}, an in-process JCTools SPSC queue of
 * pre-allocated messages) and quote ratios.
 *
 * <h2>Memory model</h2>
 * The benchmarks add none of their own: every hand-over goes through the queue under test (the vring's
 * index stores, or JCTools' ordered offer/poll). A group state is read-only once set up; what each
 * thread writes (sequence numbers, counters) lives in its own {@code Scope.Thread} state, which JMH pads,
 * so the harness adds no false sharing of its own.
 */
@NullMarked
package io.rptun.benchmarks;

import org.jspecify.annotations.NullMarked;
