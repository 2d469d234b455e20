/**
 * Split virtqueues (vrings) in shared memory: the raw ABI of OpenAMP's {@code virtio_ring.h}, both
 * roles of a queue, and a thread-safe port on top.
 *
 * <h2>Layers</h2>
 * <ul>
 *   <li>{@link io.rptun.core.virtio.VringLayout} places the three parts for {@code num} and
 *       {@code align}; {@link io.rptun.core.virtio.VringDescLayout},
 *       {@link io.rptun.core.virtio.VringAvailLayout} and {@link io.rptun.core.virtio.VringUsedLayout}
 *       are the C structs, with ordered accessors for the indices and flags;
 *       {@link io.rptun.core.virtio.Vring} is one vring's memory.</li>
 *   <li>{@link io.rptun.core.virtio.VirtqueueDriver} (adds to avail, reaps used) and
 *       {@link io.rptun.core.virtio.VirtqueueDevice} (takes from avail, returns to used) hold one side's
 *       state. Single-threaded, allocation-free, and suspicious of everything the peer writes.</li>
 *   <li>{@link io.rptun.core.virtio.VirtqueuePort} lets many threads send and receive through one
 *       side, with pre-allocated {@link io.rptun.core.virtio.VringBuffer} handles, JCTools queues and a
 *       combining publisher; it kicks through a {@link io.rptun.core.virtio.Notifier}. The port is the
 *       role-independent machinery; {@code VirtqueueDriverPort} and {@code VirtqueueDevicePort} (one final
 *       class per role, made by its factory methods) move buffers into and out of their side's rings.</li>
 *   <li>{@link io.rptun.core.virtio.PeerNotifier}, {@link io.rptun.core.virtio.Notifier} and
 *       {@link io.rptun.core.virtio.Doorbell}: ringing the peer (below).</li>
 * </ul>
 *
 * <h2>Ringing the peer</h2>
 * There is one notion of "ring the peer", and it lives here, beside the kick rule that decides when to
 * ring: {@link io.rptun.core.virtio.PeerNotifier} rings the other side for the whole link (NuttX's
 * {@code rptun_ops.notify}, with a vring's notify id or {@code ALL}); a {@link io.rptun.core.virtio.Notifier}
 * is its view for one queue ({@link io.rptun.core.virtio.PeerNotifier#forQueue}), what a port kicks; and a
 * {@link io.rptun.core.virtio.Doorbell} is the receiving end a serving thread sleeps on, with its
 * {@link io.rptun.core.virtio.Doorbell.Poller} for waiting with the peer's notifications off. The layers
 * above (rpmsg, the lifecycle's driver SPI, the simulators) use these types and define none of their own.
 *
 * <h2>Memory model</h2>
 * Every shared field has exactly one writer:
 * <table>
 *   <caption>Who writes and who reads each part of a vring</caption>
 *   <tr><th>Field</th><th>Writer</th><th>Reader</th><th>Published by</th></tr>
 *   <tr><td>descriptors, avail.ring[]</td><td>driver</td><td>device</td>
 *       <td>release store of avail.idx; the device reads avail.idx with acquire first</td></tr>
 *   <tr><td>avail.idx</td><td>driver</td><td>device</td><td>itself (release / acquire)</td></tr>
 *   <tr><td>used.ring[]</td><td>device</td><td>driver</td>
 *       <td>release store of used.idx; the driver reads used.idx with acquire first</td></tr>
 *   <tr><td>used.idx</td><td>device</td><td>driver</td><td>itself (release / acquire)</td></tr>
 *   <tr><td>avail.flags (NO_INTERRUPT)</td><td>driver</td><td>device</td>
 *       <td>release store; the device reads it after a full fence that follows its used.idx store</td></tr>
 *   <tr><td>used.flags (NO_NOTIFY)</td><td>device</td><td>driver</td>
 *       <td>release store; the driver reads it after a full fence that follows its avail.idx store</td></tr>
 * </table>
 * The full fences are the one place a store must be ordered before a later load (a Dekker pattern):
 * "my new index must be visible before I read your flag", paired with the peer's "my cleared flag must
 * be visible before I read your index". Without them a notification can be lost and both sides sleep.
 * Each side keeps local shadows of the indices it owns and of every descriptor it wrote, and never reads
 * them back from shared memory. {@code VIRTIO_RING_F_EVENT_IDX} stays off, as OpenAMP over remoteproc
 * expects, so {@code used_event} and {@code avail_event} are never written.
 *
 * <h2>Kick discipline</h2>
 * One rule, for every publish in either role: <b>whatever this side publishes (avail entries, used entries,
 * returned buffers) is followed by a kick unless the peer's flag on that vring says it does not want one</b>
 * ({@code used.flags} NO_NOTIFY read by a driver, {@code avail.flags} NO_INTERRUPT read by a device, after
 * the full fence above), and <b>nothing staged survives a wait</b>: a thread that is about to block for any
 * reason (a TX buffer, the doorbell, a lock) first publishes and kicks what it staged. A peer may look at
 * its rings only when kicked (OpenAMP's Linux programs do, peers.md section 1), so a publish without its
 * kick, or a batch held back across a wait, can leave both sides asleep. {@link
 * io.rptun.core.virtio.VirtqueuePort} keeps the first half by construction: every batch it publishes goes
 * through one {@code kickPrepare()} and one kick; staged buffers are published by the next flush of any
 * thread. Suppressing the peer's kicks on this side's own rings is an optimisation only the waiting side
 * decides (see {@code io.rptun.core.rpmsg.Notifications}); it never changes whether this side kicks.
 *
 * <h2>The peer is untrusted</h2>
 * Every index, descriptor number, length and address the peer wrote is checked before use; each value
 * is read once, so the peer cannot change it between the check and the use; chains are bounded by
 * {@code num}; addresses go through {@link io.rptun.core.memory.SharedRegion}. The first violation
 * breaks the queue for good with a {@link io.rptun.core.virtio.VringException} naming the reason, the
 * queue and the index.
 *
 * <h2>False sharing</h2>
 * The port's JCTools queues pad their producer and consumer indices. The descriptor table, the avail ring
 * and the used ring are in separate cache lines whenever {@code num} is at least 4 and {@code align} at least 64, as they are for
 * every standard layout (0x1000).
 */
@NullMarked
package io.rptun.core.virtio;

import org.jspecify.annotations.NullMarked;
