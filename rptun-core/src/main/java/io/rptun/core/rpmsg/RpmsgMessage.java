package io.rptun.core.rpmsg;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.virtio.VringBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * A received message: its addresses and a zero-copy view of its payload in the RX buffer.
 *
 * <h2>Lifetime</h2>
 * A message is valid only while the {@link RpmsgListener#onMessage} it was passed to runs; then its
 * buffer goes back to the peer. To keep it longer, call {@link #hold()} inside the callback and
 * {@link #release()} it later, from any thread. Every accessor of a message that is no longer valid
 * (the callback returned without {@code hold}, or it was released) throws {@link IllegalStateException}:
 * the bytes may already hold someone else's message. The segment {@link #payload()} returns follows the
 * same rule but cannot check it: do not keep it.
 *
 * <p>A held buffer is one RX buffer the peer cannot use: hold few, briefly.
 */
public final class RpmsgMessage {
    private static final int LIVE = 0;
    private static final int HELD = 1;
    private static final int DONE = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(RpmsgMessage.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final RpmsgDevice device;
    private final MemorySegment data;
    private final long offset;
    private final @Nullable VringBuffer buffer;
    private final int src;
    private final int dst;
    private final int length;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;

    RpmsgMessage(RpmsgDevice device, MemorySegment data, long offset, @Nullable VringBuffer buffer, int src, int dst,
            int length) {
        this.device = device;
        this.data = data;
        this.offset = offset;
        this.buffer = buffer;
        this.src = src;
        this.dst = dst;
        this.length = length;
    }

    /** The sender's address. */
    public int src() {
        check();
        return src;
    }

    /** The address it was sent to (this endpoint's). */
    public int dst() {
        check();
        return dst;
    }

    /** Payload bytes ({@code hdr.len}). */
    public int length() {
        check();
        return length;
    }

    /** The payload in the shared buffer, read-only: valid as long as this message is (see the class doc). */
    public MemorySegment payload() {
        check();
        return data.asSlice(offset, length).asReadOnly();
    }

    /** Payload byte {@code index}. */
    public byte getByte(int index) {
        check();
        checkIndex(index, 1);
        return data.get(ValueLayout.JAVA_BYTE, offset + index);
    }

    /** The little-endian u32 at payload byte {@code index}. */
    public int getIntLE(int index) {
        check();
        checkIndex(index, 4);
        return data.get(WireLayouts.LE_U32, offset + index);
    }

    /** Copies the payload into {@code dst} at {@code offset}; returns the number of bytes, {@link #length()}. */
    public int copyTo(byte[] dst, int offset) {
        check();
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, this.offset, dst, offset, length);
        return length;
    }

    /** A copy of the payload. */
    public byte[] toByteArray() {
        byte[] copy = new byte[length()];
        copyTo(copy, 0);
        return copy;
    }

    /** The payload decoded as UTF-8, up to the first NUL if there is one. */
    public String asString() {
        byte[] bytes = toByteArray();
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /**
     * Keeps the buffer after the callback returns (zero-copy receive); {@link #release()} gives it back.
     * Only inside the callback.
     *
     * @return this message
     * @throws IllegalStateException outside the callback, or if already held
     */
    public RpmsgMessage hold() {
        if (!STATE.compareAndSet(this, LIVE, HELD)) {
            throw new IllegalStateException(isDone() ? "hold() after the callback returned: " + this
                    : "already held: " + this);
        }
        return this;
    }

    /**
     * Gives a held buffer back to the peer. From any thread, once.
     *
     * @throws IllegalStateException if not held, or released already
     */
    public void release() {
        if (!STATE.compareAndSet(this, HELD, DONE)) {
            throw new IllegalStateException(isDone() ? "released twice: " + this : "release() of a message not held: "
                    + this + " (it goes back by itself when the callback returns)");
        }
        if (buffer != null) {
            device.returnRx(buffer, false);
        }
    }

    /** True while held and not yet released. */
    public boolean isHeld() {
        return (int) STATE.getVolatile(this) == HELD;
    }

    /** Called by the device when the callback returned: true if the buffer should go back now. */
    boolean callbackReturned() {
        return STATE.compareAndSet(this, LIVE, DONE);
    }

    private boolean isDone() {
        return (int) STATE.getVolatile(this) == DONE;
    }

    private void check() {
        if (isDone()) {
            throw new IllegalStateException("message used after its buffer went back to the peer (hold() it inside the"
                    + " callback to keep it): src=" + RpmsgAddresses.format(src) + " dst=" + RpmsgAddresses.format(dst)
                    + " len=" + length);
        }
    }

    private void checkIndex(int index, int size) {
        if (index < 0 || index > length - size) {
            throw new IndexOutOfBoundsException("index=" + index + ", length=" + length);
        }
    }

    @Override
    public String toString() {
        return "RpmsgMessage[src=" + RpmsgAddresses.format(src) + ", dst=" + RpmsgAddresses.format(dst) + ", len="
                + length + ", " + switch ((int) STATE.getVolatile(this)) {
                    case LIVE -> "live";
                    case HELD -> "held";
                    default -> "released";
                } + "]";
    }
}
