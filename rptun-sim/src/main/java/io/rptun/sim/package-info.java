/**
 * The simulator: an RPTUN link between two threads or two processes over a shared memory-mapped file.
 *
 * <ul>
 * <li>{@link io.rptun.sim.SimFile}: the file ({@code /dev/shm} by default, mode 0600, checked on open),
 * a {@link io.rptun.sim.SimHeader} in front of a standard rptun region.</li>
 * <li>{@link io.rptun.sim.SimDriver}: the {@link io.rptun.core.lifecycle.RptunDriver} for either side:
 * epochs for the boot handshake, heartbeats and pids for liveness, and an optional launcher that boots
 * the remote ({@link io.rptun.sim.ChildJvmLauncher} running {@link io.rptun.sim.RemoteMain}).</li>
 * <li>Doorbells: {@link io.rptun.sim.FutexDoorbell} (futex through FFM) and
 * {@link io.rptun.sim.UnixSocketDoorbell} (OpenAMP's Linux machine, driven by
 * {@link io.rptun.sim.OpenAmpLinuxDriver}).</li>
 * <li>{@link io.rptun.sim.SimRemote}: the remote with its echo, sink and ping services (and the user's).</li>
 * </ul>
 *
 * <h2>Memory model</h2>
 * The header's handshake fields use release stores and acquire loads, the magic is published last; the
 * doorbell words pair a volatile increment with a full fence on each side (Dekker) so no wake-up is lost.
 * {@link io.rptun.sim.SimHeader} and {@link io.rptun.sim.FutexDoorbell} say who writes and reads each
 * field. Everything the peer writes (epochs, pids, heartbeats, the region itself) is untrusted: the region
 * is parsed and bounds-checked by rptun-core like any other peer's.
 *
 * <p>FFM native access (the futex downcall) needs {@code --enable-native-access=ALL-UNNAMED}.
 */
@NullMarked
package io.rptun.sim;

import org.jspecify.annotations.NullMarked;
