package io.rptun.core.rpmsg;

import io.rptun.core.virtio.VringBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A TX buffer lent for a zero-copy send: fill {@link #payload()} in place, then {@link #send(int)} it
 * (no copy), or {@link #release()} it unsent. Exactly one of those, once; afterwards every method
 * throws {@link IllegalStateException}.
 *
 * <p>Never lost: a send that fails (the endpoint lost its destination or was destroyed, the device broke
 * or the peer was lost) puts the buffer back in the pool before it throws.
 */
public final class RpmsgTxBuffer {
    private static final VarHandle DONE;

    static {
        try {
            DONE = MethodHandles.lookup().findVarHandle(RpmsgTxBuffer.class, "done", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final RpmsgEndpoint endpoint;
    private final VringBuffer buffer;
    private final int capacity;
    /** 0 while lent, 1 once sent or released: set once, by CAS (a field, not an AtomicBoolean: 16 bytes less). */
    private volatile int done;

    RpmsgTxBuffer(RpmsgEndpoint endpoint, VringBuffer buffer, int capacity) {
        this.endpoint = endpoint;
        this.buffer = buffer;
        this.capacity = capacity;
    }

    /** The payload area: {@link #capacity()} bytes after the header, in the shared buffer. */
    public MemorySegment payload() {
        checkOpen();
        return buffer.segment().asSlice(RpmsgHeaderLayout.SIZE, capacity);
    }

    /** The most payload bytes this buffer takes. */
    public int capacity() {
        return capacity;
    }

    /**
     * Sends the first {@code length} payload bytes to the endpoint's destination.
     *
     * @throws RpmsgException NOT_BOUND, ENDPOINT_DESTROYED, DEVICE_BROKEN, PEER_LOST, DEVICE_CLOSED (the
     *     buffer is back in the pool)
     * @throws IllegalArgumentException if {@code length} is negative or above {@link #capacity()} (the buffer
     *     is still yours)
     */
    public void send(int length) {
        sendTo(endpoint.destination(), length);
    }

    /** Like {@link #send(int)}, to {@code dst}. */
    public void sendTo(int dst, int length) {
        checkOpen();
        if (length < 0 || length > capacity) {
            throw new IllegalArgumentException("length=" + length + ", capacity=" + capacity);
        }
        if (!DONE.compareAndSet(this, 0, 1)) {
            throw new IllegalStateException("TX buffer already sent or released");
        }
        endpoint.device().sender().sendFilled(endpoint, buffer, dst, length);
    }

    /** Puts the buffer back in the pool unsent. */
    public void release() {
        if (!DONE.compareAndSet(this, 0, 1)) {
            throw new IllegalStateException("TX buffer already sent or released");
        }
        endpoint.device().sender().releaseTx(buffer);
    }

    private void checkOpen() {
        if (done != 0) {
            throw new IllegalStateException("TX buffer used after it was sent or released");
        }
    }

    @Override
    public String toString() {
        return "RpmsgTxBuffer[" + endpoint + ", capacity=" + capacity + (done != 0 ? ", done" : "") + "]";
    }
}
