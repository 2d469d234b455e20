package io.rptun.core.virtio;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.VringException.Reason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.varhandle.MpmcVarHandleArrayQueue;
import org.jctools.queues.varhandle.MpscVarHandleArrayQueue;
import org.jspecify.annotations.Nullable;

/**
 * A virtqueue that any number of threads may use at once: one side ({@link VirtqueueDriver} or
 * {@link VirtqueueDevice}) of one vring, carrying single-descriptor buffers through pre-allocated
 * {@link VringBuffer} handles.
 *
 * <p>A port either sends or receives ({@link Mode}):
 * <ul>
 *   <li>{@link Mode#SEND}: {@link #acquire()} a free buffer, fill it, {@link #submit} it; or
 *       {@link #release} it unsent. Free buffers are the ones the peer has finished with: on the
 *       driver, those reaped from the used ring; on the device, those the driver offered on the avail
 *       ring (which the device fills and returns).</li>
 *   <li>{@link Mode#RECEIVE}: {@link #receive} hands over the buffers the peer filled; {@link #submit}
 *       gives each back to the peer when the user is done with it (the driver posts it again, the
 *       device returns it on the used ring).</li>
 * </ul>
 *
 * <h2>Lock-free combining</h2>
 * Only one thread may touch the ring at a time, so {@link #submit} never does: it puts the handle on a
 * JCTools {@link MpscVarHandleArrayQueue} and then tries to become the ring's owner through a work-in-progress
 * counter (Reactor's drain loop). The owner moves <em>every</em> queued handle into the ring, publishes
 * them with one index store, kicks once if the peer asked for kicks, and loops until every submitter
 * that arrived meanwhile has been served; a submitter that finds an owner leaves at once, its handle
 * already queued. Free handles wait in a JCTools {@link MpmcVarHandleArrayQueue}. No thread waits
 * for a lock or for another thread's work (the only spin is inside a JCTools queue operation, for the
 * few instructions while another thread finishes the same slot), and in steady state nothing allocates:
 * the handles, the queues and the callbacks exist from the start.
 *
 * <h2>Memory model</h2>
 * A handle's bytes are written by the thread holding it; the queue offer/poll pairs (release/acquire)
 * and the owner's index store (release) make those writes visible to the next holder and to the peer.
 * The WIP counter's atomic read-modify-writes order every submitter's offer before the owner's last
 * look at the queue, so no submitted handle is ever stranded.
 *
 * <h2>Errors</h2>
 * The first violation by the peer breaks the underlying queue ({@link VringException}); the thread that
 * found it gets the exception, and every later call on the port throws it. Handles queued but not yet
 * in the ring when that happens stay queued and are reported by {@link #unpublished()}.
 *
 * <h2>Structure</h2>
 * This class is the public type and the role-independent machinery: the WIP counter, the pending MPSC
 * queue, the free pools, the hold API and the drain loop. Each role is one final subclass, chosen by the
 * factory methods: {@code VirtqueueDriverPort} (adds to avail, reaps used) and {@code VirtqueueDevicePort}
 * (takes from avail, returns to used). They implement what differs: how a handle goes into the ring, how
 * the free pool is refilled, how buffers are received, publishing and the notification flags. A call site
 * in here sees at most these two receiver types. {@link Mode} stays a field rather than a third split: the
 * SEND/RECEIVE differences are a few checks and flags inside each role's code, which a split would
 * duplicate.
 *
 * <h2>Threads</h2>
 * Every public method may be called from any thread, except the held methods ({@link #takeHeld()},
 * {@link #putHeld}, {@link #ungetHeld}, {@link #releaseHold()}, {@link #submitOwned},
 * {@link #releaseOwned}), which only the thread holding the ring may call. Methods documented "owner only"
 * here and in the subclasses run only on the thread that holds WIP.
 */
public abstract sealed class VirtqueuePort permits VirtqueueDriverPort, VirtqueueDevicePort {
    /** What a port is for. */
    public enum Mode {
        /** Send buffers to the peer: acquire, fill, submit. */
        SEND,
        /** Receive buffers from the peer: receive, read, submit back. */
        RECEIVE
    }

    /** Receives the buffers {@link #receive} hands over. */
    @FunctionalInterface
    public interface Receiver {
        /**
         * Called with each buffer the peer filled. The handle is the receiver's until it passes it to
         * {@link VirtqueuePort#submit} (from this or any thread, now or later). Must not throw: a
         * receiver that throws keeps the handle it was given.
         */
        void onBuffer(VringBuffer buffer);
    }

    private static final VarHandle WIP;
    /** How long {@link #acquire()} waits for another thread's hold of the ring (a send or a batch). */
    private static final int OWNER_SPINS = 256;

    static {
        try {
            WIP = MethodHandles.lookup().findVarHandle(VirtqueuePort.class, "wip", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Mode mode;
    private final Notifier notifier;
    final Virtqueue queue;
    private final MpscVarHandleArrayQueue<VringBuffer> pending;
    private final MpmcVarHandleArrayQueue<VringBuffer> free;
    /**
     * Owner only (the thread holding WIP): free handles reaped from the ring (FIFO), kept out of the shared pool
     * so the owner takes and refills them with plain array accesses. A thread that finds the shared pool
     * empty takes the ring to reach them ({@link #acquire()}).
     */
    final VringBuffer[] ownerFree;
    /** Written by the owner only (plain: a volatile store costs a full fence); read racily by {@link #freeBuffers()}. */
    int ownerFreeCount;
    /** Owner only: where the oldest of the owner's free handles is. */
    private int ownerFreeHead;
    /** Set by a thread that found the ring held and the shared pool empty; cleared by the owner as it spills. */
    private volatile boolean contended;
    /** Owner only: handles put straight into the ring by {@link #submitOwned}, not yet published. */
    private int direct;
    /** Owner only: buffers sent through {@link #submitOwned} (plain; read racily). */
    private long ownedSubmits;
    private final MessagePassingQueue.Consumer<VringBuffer> toRing = this::toRing;
    private final Object notifyLock = new Object();
    private volatile boolean notificationsOn = true;
    @SuppressWarnings("unused") // accessed through WIP
    private volatile int wip;
    private long kicks;
    private long publishes;
    private long published;

    VirtqueuePort(Mode mode, Virtqueue queue, Notifier notifier) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.notifier = Objects.requireNonNull(notifier, "notifier");
        this.queue = queue;
        int num = queue.num();
        this.pending = new MpscVarHandleArrayQueue<>(Math.max(2, num));
        this.free = new MpmcVarHandleArrayQueue<>(Math.max(2, num));
        this.ownerFree = new VringBuffer[Math.max(2, num)];
    }

    /**
     * The driver's side of {@code vring} in {@code region}; add its buffers with {@link #addBuffer}.
     * A SEND port offers read-only buffers, a RECEIVE port offers buffers the device writes.
     */
    public static VirtqueuePort driver(String name, Vring vring, SharedRegion region, Mode mode, Notifier notifier) {
        return new VirtqueueDriverPort(mode, new VirtqueueDriver<VringBuffer>(name, vring), region, notifier);
    }

    /**
     * The device's side of {@code vring} in {@code region}. A SEND port fills the buffers the driver
     * offers for the device to write; a RECEIVE port reads the ones the driver filled. A buffer that
     * arrives the other way round, or as a chain, breaks the queue ({@link Reason#WRONG_DIRECTION},
     * {@link Reason#UNEXPECTED_CHAIN}).
     */
    public static VirtqueuePort device(String name, Vring vring, SharedRegion region, Mode mode, Notifier notifier) {
        return new VirtqueueDevicePort(mode, new VirtqueueDevice(name, vring, region), region, notifier);
    }

    /**
     * The same, taking buffers only from {@code [buffersFrom, buffersTo)} of the region (the carveout
     * heap, say): see {@link VirtqueueDevice#VirtqueueDevice(String, Vring, SharedRegion, long, long)}.
     */
    public static VirtqueuePort device(String name, Vring vring, SharedRegion region, long buffersFrom,
            long buffersTo, Mode mode, Notifier notifier) {
        return new VirtqueueDevicePort(mode, new VirtqueueDevice(name, vring, region, buffersFrom, buffersTo),
                region, notifier);
    }

    /**
     * Driver only: a new handle for the buffer at {@code offset} of the shared region, which the
     * caller now holds. On a RECEIVE port, {@link #submit} it to post it to the device; on a SEND port,
     * fill and submit it, or {@link #release} it into the free pool. Not for the data path: it
     * allocates.
     *
     * @throws IllegalStateException on a device port, or when the port already has {@code num} buffers
     * @throws io.rptun.core.memory.AddressException if the buffer is not inside the region
     */
    public abstract VringBuffer addBuffer(long offset, int capacity);

    /**
     * Driver only: allocates a {@code size}-byte buffer from {@code heap} (aligned to
     * {@link CarveoutHeap#granule()}) and makes it a handle as {@link #addBuffer} does, or returns null
     * when the heap has no room (the heap counts the failure; nothing else changed).
     *
     * @throws IllegalStateException on a device port, or when the port already has {@code num} buffers
     */
    public synchronized @Nullable VringBuffer allocateBuffer(CarveoutHeap heap, int size) {
        checkCanAddBuffer();
        long offset = heap.allocate(size, heap.granule());
        if (offset == CarveoutHeap.NO_SPACE) {
            return null;
        }
        try {
            return addBuffer(offset, size);
        } catch (RuntimeException e) {
            heap.free(offset);
            throw e;
        }
    }

    /**
     * SEND ports: a free buffer, now the caller's, or null when none is free right now (the peer has
     * not returned one yet; try again, or wait for its notification).
     *
     * @throws VringException if the queue is broken
     * @throws IllegalStateException on a RECEIVE port
     */
    public @Nullable VringBuffer acquire() {
        if (mode != Mode.SEND) {
            throw new IllegalStateException(queue.name() + " is a RECEIVE port");
        }
        queue.checkNotBroken();
        VringBuffer buffer = free.poll();
        if (buffer == null) {
            // The rest are reaped into the owner's pool: take the ring to reach them. Another thread holds it
            // only for a send or a batch, so wait that long rather than report "none free" falsely.
            for (int spins = 0; ; spins++) {
                if (WIP.compareAndSet(this, 0, 1)) {
                    try {
                        buffer = takeFreeOwned();
                    } finally {
                        releaseLease();
                    }
                    break;
                }
                if (!contended) {
                    contended = true; // the owner then leaves its spare buffers in the shared pool
                }
                if (spins == OWNER_SPINS || (buffer = free.poll()) != null) {
                    break;
                }
                Thread.onSpinWait();
            }
        }
        if (buffer != null) {
            buffer.toUser();
            buffer.length = 0;
        }
        return buffer;
    }

    /**
     * SEND ports, the fast path of a sender that fills a buffer at once (a copy): takes the ring and a free
     * buffer together, so the send costs no queue operation. Returns null, holding nothing, when no buffer is
     * free right now or another thread holds the ring (then use {@link #acquire()}). Otherwise the caller
     * holds the ring until it calls {@link #submitOwned} or {@link #releaseOwned}, which it must do on every
     * path, promptly and without blocking: meanwhile other threads' submits queue up and the ring's owner
     * publishes them when it lets go.
     *
     * @throws VringException if the queue is broken
     */
    public @Nullable VringBuffer acquireOwned() {
        if (!tryHold()) {
            return null;
        }
        VringBuffer buffer;
        try {
            buffer = takeHeld();
        } catch (RuntimeException | Error e) {
            releaseLease();
            throw e;
        }
        if (buffer == null) {
            releaseLease();
        }
        return buffer;
    }

    /**
     * Sends a buffer taken with {@link #acquireOwned()} with {@link VringBuffer#length()} bytes: puts it
     * straight into the ring, publishes it with whatever other threads submitted meanwhile, and lets go of
     * the ring, even when it throws.
     *
     * @throws IllegalArgumentException if the buffer belongs to another port
     * @throws IllegalStateException if the caller does not hold it
     * @throws VringException if the queue is broken (the buffer is not taken)
     */
    public void submitOwned(VringBuffer buffer) {
        try {
            putHeld(buffer);
        } finally {
            drainOwned();
        }
    }

    /**
     * Puts a buffer taken with {@link #acquireOwned()} back unsent and lets go of the ring, even when it
     * throws.
     *
     * @throws IllegalArgumentException if the buffer belongs to another port
     * @throws IllegalStateException if the caller does not hold it
     */
    public void releaseOwned(VringBuffer buffer) {
        try {
            ungetHeld(buffer);
        } finally {
            releaseLease();
        }
    }

    // ---------------------------------------------------------------- batches: one hold, one publication

    /**
     * SEND ports: takes the ring for a batch of sends, or returns false at once when another thread holds
     * it. While it holds the ring, the caller takes free buffers with {@link #takeHeld()}, fills them, and
     * puts each into the ring with {@link #putHeld} (or back with {@link #ungetHeld}); {@link #releaseHold()}
     * then publishes the whole batch with one index store and at most one kick, and lets go. Every path must
     * end in {@code releaseHold()}, promptly and without blocking (other threads' submits queue meanwhile and
     * go out with the batch). Only the holding thread may call the held methods.
     *
     * @throws VringException if the queue is broken (nothing is held)
     * @throws IllegalStateException on a RECEIVE port
     */
    public boolean tryHold() {
        if (mode != Mode.SEND) {
            throw new IllegalStateException(queue.name() + " is a RECEIVE port");
        }
        queue.checkNotBroken();
        return WIP.compareAndSet(this, 0, 1);
    }

    /**
     * While holding the ring ({@link #tryHold()}): a free buffer, now the caller's, or null when the peer has
     * returned none (it looks at the peer's index only when the holder's own free buffers ran out).
     *
     * @throws VringException if the peer broke the queue (the hold stays: release it)
     */
    public @Nullable VringBuffer takeHeld() {
        VringBuffer buffer = takeFreeOwned();
        if (buffer != null) {
            buffer.toUser();
            buffer.length = 0;
        }
        return buffer;
    }

    /**
     * While holding the ring: sends {@code buffer} with {@link VringBuffer#length()} bytes as part of the batch
     * (in the ring, published at {@link #releaseHold()}). Buffers other threads had queued before go first:
     * one may be this thread's own earlier send, stuck behind a slot another producer claimed but has not
     * written yet, and must not be overtaken.
     *
     * @throws IllegalArgumentException if the buffer belongs to another port
     * @throws IllegalStateException if the caller does not hold it
     */
    public void putHeld(VringBuffer buffer) {
        checkMine(buffer);
        if (!buffer.toPortExclusive()) {
            throw new IllegalStateException("buffer given back twice: " + buffer);
        }
        ownedSubmits++;
        if (!pending.isEmpty()) {
            direct += pending.drain(toRing, queue.num());
            if (!pending.isEmpty()) {
                if (!pending.offer(buffer)) {
                    throw new IllegalStateException(queue.name() + ": more buffers submitted than exist");
                }
                return;
            }
        }
        toRing(buffer);
        direct++;
    }

    /**
     * While holding the ring: puts a buffer taken with {@link #takeHeld()} back unsent, at the front of the
     * free buffers where it was.
     *
     * @throws IllegalArgumentException if the buffer belongs to another port
     * @throws IllegalStateException if the caller does not hold it
     */
    public void ungetHeld(VringBuffer buffer) {
        checkMine(buffer);
        if (!buffer.toPort()) {
            throw new IllegalStateException("buffer given back twice: " + buffer);
        }
        ungetOwnerFree(buffer);
    }

    /**
     * Ends a hold: publishes what was put meanwhile (this thread's and other threads' queued submits) with one
     * index store and at most one kick, and lets go of the ring, even when it throws.
     *
     * @throws VringException if the peer broke the queue (the ring is let go)
     */
    public void releaseHold() {
        releaseLease();
    }

    /**
     * Lets go of the ring after a hold that published nothing of its own (an acquire): staged buffers wait
     * for their flush, unless some thread flushed while we held the ring, which leaves the publishing to us.
     * With other threads seen waiting for the ring, the owner's spare free buffers go to the shared pool
     * first, where they can take them without the ring.
     */
    private void releaseLease() {
        if (contended) {
            contended = false;
            spillOwnerFree();
        }
        if (direct == 0 && WIP.compareAndSet(this, 1, 0)) {
            return;
        }
        drainOwned();
    }

    /** Owner only: moves the owner's free handles to the shared pool, oldest first. */
    private void spillOwnerFree() {
        while (ownerFreeCount > 0) {
            offerFree(popOwnerFree());
        }
    }

    /** Owner only: a free handle from the owner's pool, the shared pool, or the ring; null if none. */
    private @Nullable VringBuffer takeFreeOwned() {
        queue.checkNotBroken();
        if (ownerFreeCount == 0) {
            VringBuffer shared = free.poll();
            if (shared != null) {
                return shared;
            }
            refillFreePool();
        }
        return ownerFreeCount == 0 ? null : popOwnerFree();
    }

    /** Owner only: the oldest of the owner's free handles (the owner's pool is FIFO, like the shared one). */
    private VringBuffer popOwnerFree() {
        int h = ownerFreeHead;
        VringBuffer b = Objects.requireNonNull(ownerFree[h]);
        ownerFree[h] = null;
        ownerFreeHead = h + 1 == ownerFree.length ? 0 : h + 1;
        ownerFreeCount--;
        return b;
    }

    /** Owner only: a free handle to the back of the owner's pool. */
    final void pushOwnerFree(VringBuffer buffer) {
        int n = ownerFreeCount;
        if (n == ownerFree.length) {
            throw new IllegalStateException(queue.name() + ": free pool full");
        }
        int slot = ownerFreeHead + n;
        ownerFree[slot >= ownerFree.length ? slot - ownerFree.length : slot] = buffer;
        ownerFreeCount = n + 1;
    }

    /** Owner only: a handle taken and put back unsent goes back to the front, where it was. */
    private void ungetOwnerFree(VringBuffer buffer) {
        int n = ownerFreeCount;
        if (n == ownerFree.length) {
            throw new IllegalStateException(queue.name() + ": free pool full");
        }
        int h = ownerFreeHead == 0 ? ownerFree.length - 1 : ownerFreeHead - 1;
        ownerFree[h] = buffer;
        ownerFreeHead = h;
        ownerFreeCount = n + 1;
    }

    /**
     * Gives a buffer the caller holds back to the ring: on a SEND port it is sent with
     * {@link VringBuffer#length()} bytes; on a RECEIVE port it is returned to the peer. Returns at once;
     * the buffer reaches the ring when this or another thread publishes the batch it is in.
     *
     * @throws IllegalArgumentException if the buffer belongs to another port
     * @throws IllegalStateException if the caller does not hold it (given back twice)
     * @throws VringException if the queue is broken (the buffer is not taken)
     */
    public void submit(VringBuffer buffer) {
        stage(buffer);
        flush();
    }

    /**
     * Gives back {@code count} buffers at once, for a caller that is each one's only holder (a device
     * returning the buffers it delivered): with the ring free, they go straight into it and are published
     * together, with no queue operation; otherwise they queue for the thread that owns the ring. A buffer
     * given back twice by this thread is refused; unlike {@link #submit}, two threads giving back the same
     * buffer at once are not detected, hence "only holder". Clears the array's first {@code count} slots.
     *
     * @throws IllegalArgumentException if a buffer belongs to another port (the ones before it were taken)
     * @throws IllegalStateException if the caller does not hold one (the ones before it were taken)
     * @throws VringException if the queue is broken (none is taken)
     */
    public void submitAll(VringBuffer[] buffers, int count) {
        queue.checkNotBroken();
        if (count <= 0) {
            return;
        }
        boolean owned = WIP.compareAndSet(this, 0, 1);
        try {
            for (int i = 0; i < count; i++) {
                VringBuffer b = buffers[i];
                buffers[i] = null;
                checkMine(b);
                if (!b.toPortExclusive()) {
                    throw new IllegalStateException("buffer given back twice: " + b);
                }
                if (owned) {
                    toRing(b);
                    direct++;
                } else if (!pending.offer(b)) {
                    b.toUser();
                    throw new IllegalStateException(queue.name() + ": more buffers submitted than exist");
                }
            }
        } finally {
            if (owned) {
                drainOwned();
            } else {
                flush();
            }
        }
    }

    /**
     * Like {@link #submit} but does not publish: the buffer waits until the next {@link #flush()} or
     * {@link #submit} by any thread, so a caller with many buffers publishes them with one index store
     * and at most one kick.
     *
     * @throws IllegalArgumentException if the buffer belongs to another port
     * @throws IllegalStateException if the caller does not hold it (given back twice)
     * @throws VringException if the queue is broken (the buffer is not taken)
     */
    public void stage(VringBuffer buffer) {
        checkMine(buffer);
        queue.checkNotBroken();
        if (!buffer.toPort()) {
            throw new IllegalStateException("buffer given back twice: " + buffer);
        }
        if (!pending.offer(buffer)) {
            buffer.toUser();
            throw new IllegalStateException(queue.name() + ": more buffers submitted than exist");
        }
    }

    /**
     * Publishes every staged buffer (one index store, at most one kick), or leaves that to the thread
     * that owns the ring right now.
     *
     * @throws VringException if the queue is broken
     */
    public void flush() {
        queue.checkNotBroken();
        if ((int) WIP.getAndAdd(this, 1) == 0) {
            drainOwned();
        }
    }

    /**
     * SEND ports: puts a buffer the caller acquired back into the free pool unsent (zero-copy's "release
     * without sending"). Works on a broken port too, since it never touches the ring: nothing the caller
     * holds is lost.
     *
     * @throws IllegalStateException if the caller does not hold it, or on a RECEIVE port
     */
    public void release(VringBuffer buffer) {
        checkMine(buffer);
        if (mode != Mode.SEND) {
            throw new IllegalStateException(queue.name() + " is a RECEIVE port: submit the buffer back");
        }
        if (!buffer.toPort()) {
            throw new IllegalStateException("buffer given back twice: " + buffer);
        }
        offerFree(buffer);
    }

    /**
     * RECEIVE ports: hands up to {@code max} buffers the peer filled to {@code receiver}, on this
     * thread, then publishes whatever was submitted meanwhile (including from inside the receiver).
     *
     * @return the number handed over; 0 when there was none or another thread owns the ring right now
     * @throws VringException on a violation by the peer (the buffers before it were handed over)
     * @throws IllegalStateException on a SEND port
     */
    public int receive(Receiver receiver, int max) {
        if (mode != Mode.RECEIVE) {
            throw new IllegalStateException(queue.name() + " is a SEND port");
        }
        queue.checkNotBroken();
        if (!WIP.compareAndSet(this, 0, 1)) {
            return 0;
        }
        try {
            return receiveOwned(receiver, max);
        } finally {
            drainOwned();
        }
    }

    /** Owner only ({@link #receive}): hands up to {@code max} buffers the peer filled to {@code receiver}. */
    abstract int receiveOwned(Receiver receiver, int max);

    /**
     * True if the peer has handed over buffers that {@link #receive} or {@link #acquire} would get now
     * (a hint for pollers; it does not validate them).
     */
    public boolean hasInbound() {
        if (queue.isBroken()) {
            return true;
        }
        return peerHasInbound();
    }

    /** Whether the peer handed over buffers (used entries for a driver, avail entries for a device); any thread. */
    abstract boolean peerHasInbound();

    /**
     * Asks the peer to notify this side of new inbound buffers (on a SEND port: of buffers it finished
     * with), then looks again. Does not take the ring: the flag word ({@code avail.flags} for a driver,
     * {@code used.flags} for a device) is written only here and by {@link #disableNotifications()}, which
     * are serialised with each other, so any thread may call it while another one owns the ring.
     *
     * @return true if inbound buffers are already waiting, or a SEND port's free pool is not empty: poll
     *     again rather than sleep
     * @throws VringException if the queue is broken
     */
    public boolean enableNotifications() {
        queue.checkNotBroken();
        synchronized (notifyLock) {
            enablePeerNotifications(); // clears the flag, full fence
            notificationsOn = true;
        }
        return hasInbound() || (mode == Mode.SEND && freeBuffers() > 0);
    }

    /**
     * Asks the peer not to notify this side (it is polling, or nobody waits). Like
     * {@link #enableNotifications()}, any thread may call it. A hint to the peer: it may still notify.
     *
     * @throws VringException if the queue is broken
     */
    public void disableNotifications() {
        queue.checkNotBroken();
        synchronized (notifyLock) {
            disablePeerNotifications();
            notificationsOn = false;
        }
    }

    /**
     * Under {@code notifyLock}: clears this side's "do not notify me" flag ({@code avail.flags} NO_INTERRUPT
     * for a driver, {@code used.flags} NO_NOTIFY for a device), followed by a full fence so that the recheck
     * of the peer's index after it cannot be reordered before the cleared flag.
     */
    abstract void enablePeerNotifications();

    /** Under {@code notifyLock}: sets this side's "do not notify me" flag. */
    abstract void disablePeerNotifications();

    /** True unless {@link #disableNotifications()} was the last of the two called (the initial state is on). */
    public boolean notificationsEnabled() {
        return notificationsOn;
    }

    /**
     * Serves the queue while this thread owns it (WIP was raised by it): moves every pending handle
     * into the ring, publishes, kicks, and on a SEND port refills the free pool; repeats until no
     * submitter arrived meanwhile. Always lets go of the ring, even when a violation is thrown.
     */
    private void drainOwned() {
        int missed = 1;
        try {
            while (true) {
                queue.checkNotBroken();
                refillFreePool();
                if (contended) {
                    contended = false;
                    spillOwnerFree();
                }
                int moved = pending.drain(toRing, queue.num()) + direct;
                direct = 0;
                if (moved > 0) {
                    publish();
                }
                missed = (int) WIP.getAndAdd(this, -missed) - missed;
                if (missed == 0) {
                    return;
                }
            }
        } catch (RuntimeException | Error e) {
            WIP.setVolatile(this, 0);
            throw e;
        }
    }

    private void publish() {
        boolean kick;
        // A port whose peer polls (Notifier.NONE) skips kickPrepare and the full fence it costs.
        boolean mayKick = notifier != Notifier.NONE;
        published += publishRing();
        kick = mayKick && queue.kickPrepare();
        publishes++;
        if (kick) {
            kicks++;
            notifier.kick();
        }
    }

    /**
     * Owner only: SEND ports take what the peer has finished with into the free pool, once the pool is
     * empty: one look at the peer's index then brings back a whole batch, instead of a cache miss on
     * that index for every submit.
     */
    private void refillFreePool() {
        if (mode != Mode.SEND || ownerFreeCount > 0) {
            return;
        }
        refillOwnerFree();
    }

    /**
     * Owner only, SEND ports whose owner's pool is empty: moves the buffers the peer has finished with into
     * the owner's pool ({@link #pushOwnerFree}).
     */
    abstract void refillOwnerFree();

    /** Owner only: publishes what {@link #toRing} put into the ring with one index store; returns how many. */
    abstract int publishRing();

    /** Owner only: one pending handle into the ring (not yet published). */
    abstract void toRing(VringBuffer buffer);

    private void offerFree(VringBuffer buffer) {
        if (!free.offer(buffer)) {
            throw new IllegalStateException(queue.name() + ": free pool full");
        }
    }

    /** Driver only, and at most {@code num} buffers. */
    abstract void checkCanAddBuffer();

    final void checkMine(VringBuffer buffer) {
        if (buffer.port != this) {
            throw new IllegalArgumentException("buffer belongs to another port: " + buffer);
        }
    }

    /** The port's mode. */
    public Mode mode() {
        return mode;
    }

    /** The raw queue underneath, for inspection (its methods are not thread-safe: do not call them). */
    public Virtqueue queue() {
        return queue;
    }

    /** True once the peer broke the queue. */
    public boolean isBroken() {
        return queue.isBroken();
    }

    /** The violation that broke the queue, or null. */
    public @Nullable VringException brokenBy() {
        return queue.brokenBy();
    }

    /** Handles submitted but not yet moved into the ring. */
    public int unpublished() {
        return pending.size();
    }

    /** Free handles in the pool (SEND ports). */
    public int freeBuffers() {
        return free.size() + ownerFreeCount;
    }

    /** Buffers sent through {@link #submitOwned} so far (a racy read unless the port is quiet). */
    public long ownedSubmits() {
        return ownedSubmits;
    }

    /** Kicks sent so far (a racy read unless the port is quiet). */
    public long kicks() {
        return kicks;
    }

    /** Index stores (batches) published so far (a racy read unless the port is quiet). */
    public long publishes() {
        return publishes;
    }

    /** Buffers published so far (a racy read unless the port is quiet). */
    public long published() {
        return published;
    }

    @Override
    public String toString() {
        return "VirtqueuePort[" + queue.name() + ", " + mode + ", " + queue + "]";
    }
}
