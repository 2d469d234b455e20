package io.rptun.core.socket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A connection's receive window: a ring of {@code capacity} heap bytes that inbound DATA is copied into at
 * once (so the RX buffer goes straight back to the ring) and the reader takes from. {@link #consumed()} is
 * the position NuttX calls {@code recvpos}: bytes taken out so far, modulo 2^32, what our acknowledgements
 * carry. Not thread-safe: {@link RpmsgSocket} guards it with its lock.
 */
final class ReceiveWindow {
    private final byte[] ring;
    private int head;
    private int count;
    private int consumed;

    ReceiveWindow(int capacity) {
        this.ring = new byte[capacity];
    }

    int capacity() {
        return ring.length;
    }

    /** Bytes waiting to be read. */
    int available() {
        return count;
    }

    /** Room left: what the peer may still send before we acknowledge. */
    int free() {
        return ring.length - count;
    }

    /** Bytes taken out so far, modulo 2^32. */
    int consumed() {
        return consumed;
    }

    /** Copies {@code length} bytes of {@code src} from {@code offset} in; the caller checked {@link #free()}. */
    void write(MemorySegment src, long offset, int length) {
        int tail = (head + count) % ring.length;
        int first = Math.min(length, ring.length - tail);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset, ring, tail, first);
        if (first < length) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset + first, ring, 0, length - first);
        }
        count += length;
    }

    /** Takes up to {@code length} bytes into {@code dst}; returns how many. */
    int read(byte[] dst, int offset, int length) {
        int n = Math.min(length, count);
        int first = Math.min(n, ring.length - head);
        System.arraycopy(ring, head, dst, offset, first);
        if (first < n) {
            System.arraycopy(ring, 0, dst, offset + first, n - first);
        }
        skip(n);
        return n;
    }

    /** Drops {@code n} bytes (at most {@link #available()}). */
    void skip(int n) {
        head = (head + n) % ring.length;
        count -= n;
        consumed += n;
    }

    /** The little-endian u32 at the read position (a datagram's length); the caller checked 4 are there. */
    int peekIntLE() {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (ring[(head + i) % ring.length] & 0xFF) << (8 * i);
        }
        return v;
    }

    /** Forgets what is queued, counting it consumed (input shut or the socket closed). */
    void discard() {
        skip(count);
    }
}
