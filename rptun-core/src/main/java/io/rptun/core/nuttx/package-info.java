/**
 * NuttX's rpmsg services, both sides of each, as current NuttX (master) speaks them: {@link
 * io.rptun.core.nuttx.NuttxPing} ({@code rpmsg-ping}), {@link io.rptun.core.nuttx.NuttxSyslogServer} and
 * {@link io.rptun.core.nuttx.NuttxSyslogClient} ({@code rpmsg-syslog}), {@link io.rptun.core.nuttx.NuttxTty}
 * ({@code rpmsg-tty<dev>}). Each is an endpoint on an {@link io.rptun.core.rpmsg.RpmsgDevice} plus a small
 * protocol; each message layout is a {@code *Layout} class with the C struct it copies and a byte diagram.
 *
 * <h2>Use</h2>
 * On an {@link io.rptun.core.rpmsg.RpmsgDevice} whose peer is NuttX's {@code proxy} (rptun is {@code server}):
 * <pre>{@code
 * NuttxPing ping = NuttxPing.open(device);                       // answers the proxy's pings at once
 * NuttxSyslogServer log = NuttxSyslogServer.open(device, line -> System.out.println("proxy: " + line));
 * NuttxTty console = NuttxTty.open(device, "proxy");             // the proxy's shell, as /dev/ttyproxy
 * ping.awaitBound(Duration.ofSeconds(10));
 * PingResult r = ping.ping(PingRequest.of(100, 64, NuttxPing.ACK | NuttxPing.CHECK, Duration.ZERO));
 * console.output().write("uname -a\r".getBytes(US_ASCII));     // console.input() then reads "NuttX proxy ..."
 * }</pre>
 * Whose peer is NuttX's {@code server} (rptun is {@code proxy}): {@code NuttxPing.open(device)},
 * {@code NuttxSyslogClient.open(device).log("...")}, and {@code NuttxTty.open(device, "proxy")} as the
 * console the server's {@code cu} talks to.
 *
 * <h2>Untrusted peer</h2>
 * Every message is checked against its real length ({@code RpmsgMessage.length()}) before a field is read;
 * a length or count field is believed only when it fits. A bad message is counted per
 * {@link io.rptun.core.nuttx.NuttxServiceException.Reason} in the service's
 * {@link io.rptun.core.nuttx.ServiceDrops} and dropped; nothing is thrown on the serving thread. Operations
 * a caller makes (a ping, a write, a sync) throw a typed {@link io.rptun.core.nuttx.NuttxServiceException}.
 *
 * <h2>Threads</h2>
 * Listeners run on the device's serving thread, answer from there (a wait for a TX buffer keeps serving),
 * and never block otherwise. Calls that wait for the peer ({@code ping}, {@code sync}, a tty write waiting
 * for its response) must not be made from a callback of the same device: the answer arrives on the thread
 * they would hold.
 *
 * <h2>Memory model</h2>
 * Nothing here is shared memory of its own: messages are read inside their callback (the vring's
 * release/acquire made them visible) and copied out before it returns. State shared between the serving
 * thread and callers is in concurrent collections or under one lock per service, each documented in place.
 */
@NullMarked
package io.rptun.core.nuttx;

import org.jspecify.annotations.NullMarked;
