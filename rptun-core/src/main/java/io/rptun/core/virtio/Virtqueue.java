package io.rptun.core.virtio;

import io.rptun.core.virtio.VringException.Reason;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One side's state of a split virtqueue: the driver's ({@link VirtqueueDriver}) or the device's
 * ({@link VirtqueueDevice}). Each keeps a local shadow of every index it owns and never reads one back
 * from shared memory; each checks every value the peer wrote before using it, and the first violation
 * breaks the queue for good with a {@link VringException}.
 *
 * <p>Not thread-safe: one thread at a time may call a queue's methods, with a happens-before edge
 * between callers (a lock, a CAS on an ownership flag, a thread start). {@link #isBroken()} and
 * {@link #brokenBy()} may be called from any thread. {@link VirtqueuePort} is the thread-safe layer.
 */
public abstract sealed class Virtqueue permits VirtqueueDriver, VirtqueueDevice {
    final String name;
    final Vring vring;
    final MemorySegment memory;
    final int num;
    final int mask;
    final long avail;
    final long used;
    private volatile @Nullable VringException broken;
    /**
     * Something was published since the last {@link #kickPrepare()}. A flag, not a copy of the published
     * idx: an idx compare would miss a notification after exactly 65536 buffers (the u16 wraps back to equal).
     */
    private boolean kickUnchecked;

    Virtqueue(String name, Vring vring) {
        this.name = Objects.requireNonNull(name, "name");
        this.vring = Objects.requireNonNull(vring, "vring");
        this.memory = vring.memory();
        this.num = vring.num();
        this.mask = num - 1;
        this.avail = vring.avail();
        this.used = vring.used();
    }

    /** The name errors use for this queue, for example {@code "rpmsg0.tx"}. */
    public final String name() {
        return name;
    }

    /** The vring this queue runs on. */
    public final Vring vring() {
        return vring;
    }

    /** The number of descriptors. */
    public final int num() {
        return num;
    }

    /** True once the peer has written something impossible; the queue stays broken. */
    public final boolean isBroken() {
        return broken != null;
    }

    /** The violation that broke this queue, or null while it works. */
    public final @Nullable VringException brokenBy() {
        return broken;
    }

    /** Records that this side just published its index: the next {@link #kickPrepare()} has news. */
    final void published() {
        kickUnchecked = true;
    }

    /**
     * Whether to notify the peer of what was published since the last call: false when nothing was, or
     * when the peer has asked not to be notified (the device's {@code used.flags} NO_NOTIFY for a driver,
     * the driver's {@code avail.flags} NO_INTERRUPT for a device). Call after publishing; a side that
     * publishes a batch and then asks notifies once per batch at most.
     */
    public final boolean kickPrepare() {
        if (!kickUnchecked) {
            return false;
        }
        kickUnchecked = false;
        // Our new index must be visible before we read the peer's flag: a peer that is clearing the flag
        // and then rechecking our index would otherwise miss our buffers and wait to be notified forever.
        VarHandle.fullFence();
        return !peerSuppressesNotifications();
    }

    /** The peer's "do not notify me" flag, read with acquire after {@link #kickPrepare()}'s fence. */
    abstract boolean peerSuppressesNotifications();

    /** Throws the violation that broke this queue, if any. */
    final void checkNotBroken() {
        VringException e = broken;
        if (e != null) {
            throw e;
        }
    }

    /** Breaks the queue (the first violation wins) and returns the exception to throw. */
    final VringException fail(Reason reason, int index, long value, String detail) {
        return fail(new VringException(reason, name, index, value, detail));
    }

    final VringException fail(VringException e) {
        if (broken == null) {
            broken = e;
        }
        return e;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + vring + (isBroken() ? ", broken" : "") + "]";
    }
}
