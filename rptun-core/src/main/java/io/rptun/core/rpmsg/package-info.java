/**
 * rpmsg over virtio, wire-compatible with OpenAMP and NuttX: an {@link io.rptun.core.rpmsg.RpmsgDevice}
 * per rpmsg vdev (host = virtio driver, remote = virtio device), {@link io.rptun.core.rpmsg.RpmsgEndpoint}s
 * with the name service (and NuttX's F_ACK, F_BUFSZ and F_CPUNAME extensions), and zero-copy in both
 * directions.
 *
 * <h2>Layers</h2>
 * <ul>
 *   <li>{@link io.rptun.core.rpmsg.RpmsgHeaderLayout} and {@link io.rptun.core.rpmsg.RpmsgNsMessageLayout}:
 *       the two wire structs ({@code rpmsg_hdr}, {@code rpmsg_ns_msg}).</li>
 *   <li>{@link io.rptun.core.rpmsg.RpmsgDevice}: the binding to two {@link io.rptun.core.virtio.VirtqueuePort}s
 *       (TX SEND, RX RECEIVE), the start-up handshake, dispatch, the name service, endpoint addresses. It is
 *       the public face and the wiring: each of those jobs (and the TX path) is a package-private class next
 *       to it, whose comment says what it does and on which threads.</li>
 *   <li>{@link io.rptun.core.rpmsg.ServingLoop} and a {@link io.rptun.core.virtio.Doorbell}: the serving
 *       thread ({@link io.rptun.core.rpmsg.RpmsgRunner} is the loop for a bare device). Two devices in one JVM are {@code io.rptun.core.loopback.RpmsgLoopback}, and OpenAMP's Linux
 *       demo machine is {@code io.rptun.core.openamp.OpenAmpLinuxProfile}: both wire the table, the memory
 *       plan and the heap to devices, which this package never does itself.</li>
 * </ul>
 *
 * <h2>Memory model</h2>
 * A message's header and payload are written with plain stores by the sender while it holds the buffer;
 * the vring's index store (release) publishes them and the receiver's index load (acquire) makes them
 * visible (see {@link io.rptun.core.virtio}). The vdev's status byte orders the start-up: the host clears
 * the rings and posts its RX buffers before its release store of DRIVER_OK; the remote's acquire load of
 * the status sees them before it touches a ring.
 *
 * <h2>Threads and lifetimes</h2>
 * Endpoint callbacks run only on the thread in {@link io.rptun.core.rpmsg.RpmsgDevice#process()}, under one
 * lock that {@link io.rptun.core.rpmsg.RpmsgEndpoint#destroy()} also takes before it returns: so no
 * callback of a destroyed endpoint runs after destroy returned. Sends take no lock while TX buffers are
 * free. A received message is valid only inside its callback unless held.
 *
 * <h2>Ringing the peer</h2>
 * This package has no notion of its own of ringing the peer: it uses virtio's one
 * ({@link io.rptun.core.virtio}). A device is given a {@link io.rptun.core.virtio.PeerNotifier} for the whole
 * link (it rings {@code ALL} around the start-up handshake), each of its two ports kicks the per-queue view
 * of it for its vring's notify id ({@link io.rptun.core.virtio.PeerNotifier#forQueue}), and the serving
 * thread sleeps on a {@link io.rptun.core.virtio.Doorbell}.
 *
 * <h2>Kick discipline and waiting</h2>
 * The rule of {@link io.rptun.core.virtio} holds for every ring an rpmsg device writes: each publish (a sent
 * message, an RX buffer given back, an NS message) is kicked unless the peer's suppression flag says it
 * does not want it, and the serving thread publishes and kicks everything it staged before it blocks for
 * any reason: before it sleeps on the doorbell ({@code awaitWork}), and on every pause of a callback that
 * waits for a TX buffer, where it also keeps giving RX buffers back (copying their messages aside) so the
 * peer can go on sending, and keeps taking the peer's kicks off the doorbell (a peer that kicks through a
 * socket stops when nobody reads it). Nothing staged and unpublished survives a wait, so a peer that looks
 * at its rings only when kicked, as OpenAMP's C programs do, is never left waiting for this side.
 *
 * <h2>Failing callbacks</h2>
 * A listener that throws, or a send inside a callback that times out waiting for a TX buffer, fails that
 * message only: it is counted on the endpoint ({@link io.rptun.core.rpmsg.RpmsgEndpoint#callbackFailures()})
 * and as a {@code CALLBACK_FAILED} drop, logged once per endpoint with its name, and the device keeps
 * serving. The device (and the link) fails only when a ring is broken or the peer is lost.
 *
 * <h2>One serving loop</h2>
 * Every device this library serves is served by one loop, {@link io.rptun.core.rpmsg.ServingLoop}: an
 * {@link io.rptun.core.rpmsg.RpmsgRunner} is the loop for a bare device, and the lifecycle's session thread is
 * the same loop with hooks (its command mailbox before each pass, the announcement once the device is up,
 * the link's failure when the device fails). The loop keeps the waiting rule above (it sleeps only in
 * {@link io.rptun.core.rpmsg.RpmsgDevice#awaitWork}), ends when the device is BROKEN, PEER_LOST or CLOSED,
 * whichever thread found it, and reports a broken device, also one a sending thread broke.
 *
 * <h2>Untrusted peer</h2>
 * Every header field is read once and checked before use: {@code hdr.len} against the buffer's own
 * capacity (never {@code used.len}), the destination against the endpoint table, name-service messages for
 * their exact 40 bytes, flags and address. Malformed messages are dropped and counted; ring corruption
 * breaks the device with a typed error.
 */
@NullMarked
package io.rptun.core.rpmsg;

import org.jspecify.annotations.NullMarked;
