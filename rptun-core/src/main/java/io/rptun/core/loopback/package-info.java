/**
 * Both sides of an rpmsg link in one JVM, for tests, demos and benchmarks:
 * {@link io.rptun.core.loopback.RpmsgLoopback} allocates one shared segment, writes NuttX's table into it,
 * plans and applies the memory (vrings and the carveout heap), and serves a host and a remote
 * {@link io.rptun.core.rpmsg.RpmsgDevice} with an {@link io.rptun.core.rpmsg.RpmsgRunner} each, ringing
 * each other through {@link io.rptun.core.rpmsg.ParkingDoorbell}s.
 *
 * <p>{@link io.rptun.core.loopback.RpmsgLoopback} has no lifecycle. For one, with start, stop, reset and a
 * peer that can be lost, {@link io.rptun.core.loopback.LoopbackDrivers} is a master and a remote
 * {@link io.rptun.core.lifecycle.RptunDriver} over one segment, each run by an
 * {@link io.rptun.core.lifecycle.Rptun}: the simplest drivers there are, counting the calls they get.
 *
 * <p>This package sits beside {@code rpmsg}, not in it, because it wires every layer together (table, plan,
 * heap, devices, drivers); {@code rpmsg} itself knows nothing of how its memory was laid out.
 */
@NullMarked
package io.rptun.core.loopback;

import org.jspecify.annotations.NullMarked;
