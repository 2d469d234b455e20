/**
 * Contract tests for the SPIs a platform implements: extend {@link io.rptun.test.contract.DoorbellContract}
 * or {@link io.rptun.test.contract.RptunDriverContract} with a factory for your implementation, and JUnit 5
 * runs every promise of the interface against it. rptun runs them against its own doorbells and drivers
 * (in-process, futex, UNIX socket, NuttX's counters; the simulator, OpenAMP's Linux machine, NuttX's
 * simulator). The contracts use JUnit's own assertions, so they need nothing but rptun-test.
 */
@NullMarked
package io.rptun.test.contract;

import org.jspecify.annotations.NullMarked;
