/**
 * Both sides of an rpmsg link in one JVM, for tests, demos and benchmarks:
 * {@link io.rptun.core.loopback.RpmsgLoopback} allocates one shared segment, writes NuttX's table into it,
 * plans and applies the memory (vrings and the carveout heap), and serves a host and a remote
 * {@link io.rptun.core.rpmsg.RpmsgDevice} with an {@link io.rptun.core.rpmsg.RpmsgRunner} each, ringing
 * each other through {@link io.rptun.core.rpmsg.ParkingDoorbell}s.
 *
 * <p>It sits beside {@code rpmsg}, not in it, because it wires every layer together (table, plan, heap,
 * devices); {@code rpmsg} itself knows nothing of how its memory was laid out. It has no lifecycle: for a
 * link with start, stop and a peer that can be lost, use {@link io.rptun.core.lifecycle.Rptun} over a driver.
 */
@NullMarked
package io.rptun.core.loopback;

import org.jspecify.annotations.NullMarked;
