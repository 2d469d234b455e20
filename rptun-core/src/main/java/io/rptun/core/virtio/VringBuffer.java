package io.rptun.core.virtio;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * A pre-allocated handle for one buffer that travels through a {@link VirtqueuePort}: where the buffer
 * lies in the shared region, how many bytes it holds, and who has it now. Handles are created once and
 * reused for every message, so sending and receiving allocate nothing.
 *
 * <p>A handle is either with the user (after {@link VirtqueuePort#acquire()} or inside
 * {@link VirtqueuePort#receive}), or with the port (queued, in the ring, or in the free pool). Passing
 * it back ({@link VirtqueuePort#submit}, {@link VirtqueuePort#release}) hands it over with a CAS, so a
 * handle given back twice is refused with {@link IllegalStateException} instead of corrupting the ring
 * (handing it out needs no CAS: only the port does that, to one thread at a time).
 * The user may read and write {@link #segment()} only while it holds the handle.
 */
public final class VringBuffer {
    static final int WITH_PORT = 0;
    static final int WITH_USER = 1;
    private static final VarHandle OWNER;

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(VringBuffer.class, "owner", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final VirtqueuePort port;
    MemorySegment segment;
    long offset;
    long da;
    long capacity;
    int head = -1;
    int length;
    /** What the layer above keeps with the handle (see {@link #attachment()}); its holder's only. */
    private @Nullable Object attachment;
    @SuppressWarnings("unused") // accessed through OWNER
    private volatile int owner;

    VringBuffer(VirtqueuePort port, long offset, long da, long capacity, MemorySegment segment) {
        this.port = port;
        this.offset = offset;
        this.da = da;
        this.capacity = capacity;
        this.segment = segment;
    }

    /**
     * What the layer above attached to this handle with {@link #attach}, or null: rpmsg keeps a TX buffer's
     * payload view here, so that filling it in place slices nothing. Only the handle's holder may read or
     * write it; the port's hand-over (release, acquire) makes the last holder's value visible to the next.
     * A device-side handle is rebound to whatever buffer the driver offers, so an attachment must say itself
     * which segment it was made for.
     */
    public @Nullable Object attachment() {
        return attachment;
    }

    /** Replaces the {@link #attachment()}. */
    public void attach(@Nullable Object value) {
        attachment = value;
    }

    /** Points the handle at another buffer, whose slice the caller already has. */
    void rebind(long newOffset, long newDa, long newCapacity, MemorySegment newSegment) {
        offset = newOffset;
        capacity = newCapacity;
        segment = newSegment;
        da = newDa;
    }

    /**
     * The port hands the handle out. No read-modify-write: at every point the port does this (polled from
     * the free pool, taken off a ring, just added) exactly one thread has the handle, so nobody races the
     * store; the release orders it after what the port wrote into the handle.
     */
    void toUser() {
        OWNER.setRelease(this, WITH_USER);
    }

    /**
     * The holder gives the handle back on a path where nobody else can have it (the ring's owner sending a
     * buffer it took itself, a device returning buffers it delivered): a plain check and store, which still
     * refuses a handle given back twice by one thread.
     */
    boolean toPortExclusive() {
        if ((int) OWNER.getOpaque(this) != WITH_USER) {
            return false;
        }
        OWNER.setOpaque(this, WITH_PORT);
        return true;
    }

    /** The user gives the handle back: a CAS, so of two give-backs (one thread or two) exactly one wins. */
    boolean toPort() {
        return OWNER.compareAndSet(this, WITH_USER, WITH_PORT);
    }

    /** The buffer's bytes in the shared region: {@link #capacity()} of them. */
    public MemorySegment segment() {
        return segment;
    }

    /** The buffer's offset in the shared region's segment. */
    public long offset() {
        return offset;
    }

    /** The buffer's device address, as it is written into {@code desc.addr}. */
    public long da() {
        return da;
    }

    /** The buffer's size in bytes. */
    public long capacity() {
        return capacity;
    }

    /**
     * The number of meaningful bytes: what the peer reported for a received buffer ({@code used.len}
     * on the driver, {@code desc.len} on the device), what the sender set for one it sends.
     */
    public int length() {
        return length;
    }

    /**
     * Sets how many bytes of the buffer are meaningful.
     *
     * @throws IllegalArgumentException if {@code length} is negative or beyond {@link #capacity()}
     */
    public VringBuffer length(int length) {
        if (length < 0 || length > capacity) {
            throw new IllegalArgumentException("length=" + length + " capacity=" + capacity);
        }
        this.length = length;
        return this;
    }

    @Override
    public String toString() {
        return "VringBuffer[offset=0x" + Long.toHexString(offset) + ", capacity=" + capacity + ", length="
                + length + ", head=" + head + "]";
    }
}
