package io.rptun.core.rsc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable run of bytes with value semantics (vendor data, config space), so that model records
 * compare by content.
 */
public final class RawBytes {
    private static final RawBytes EMPTY = new RawBytes(new byte[0]);
    private final byte[] bytes;

    private RawBytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /** No bytes. */
    public static RawBytes empty() {
        return EMPTY;
    }

    /** A copy of {@code bytes}. */
    public static RawBytes of(byte... bytes) {
        return bytes.length == 0 ? EMPTY : new RawBytes(bytes.clone());
    }

    /** A copy of {@code length} bytes of {@code segment} from {@code offset}. */
    public static RawBytes copyOf(MemorySegment segment, long offset, int length) {
        if (length == 0) {
            return EMPTY;
        }
        byte[] copy = new byte[length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, copy, 0, length);
        return new RawBytes(copy);
    }

    public int length() {
        return bytes.length;
    }

    public byte get(int index) {
        return bytes[index];
    }

    /** A fresh copy of the bytes. */
    public byte[] toArray() {
        return bytes.clone();
    }

    /** Copies the bytes into {@code segment} at {@code offset}. */
    public void copyTo(MemorySegment segment, long offset) {
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, offset, bytes.length);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RawBytes that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return bytes.length <= 64
                ? "[" + HexFormat.of().formatHex(bytes) + "]"
                : "[" + HexFormat.of().formatHex(bytes, 0, 64) + "... (" + bytes.length + " bytes)]";
    }
}
