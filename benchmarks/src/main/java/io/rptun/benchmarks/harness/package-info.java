/**
 * What JMH cannot do, run by hand like the benchmarks (see the module's README.md): the ping-pong between
 * two JVMs ({@link io.rptun.benchmarks.harness.PingPongMain}, HdrHistogram percentiles), the CPU an idle
 * link costs ({@link io.rptun.benchmarks.harness.IdleCpuMain}), and the report
 * ({@link io.rptun.benchmarks.harness.ReportMain}) that turns one run's results into the table and the
 * chart of {@code docs/benchmarks.md}. Each main writes its results as JSON for the report.
 */
@NullMarked
package io.rptun.benchmarks.harness;

import org.jspecify.annotations.NullMarked;
