package io.rptun.reliability;

import java.util.Arrays;

/**
 * Reads a fuzzer's byte array as a stream of choices, front to back: every read is defined for every input
 * (an exhausted input reads as zeros), so one byte array is one reproducible run of a fuzz target. Used
 * instead of Jazzer's {@code FuzzedDataProvider} so that the same targets also run on plain random bytes
 * ({@code FuzzTargetsProperties}) without Jazzer's native driver.
 */
final class FuzzBytes {
    private final byte[] data;
    private int at;

    FuzzBytes(byte[] data) {
        this.data = data;
    }

    boolean exhausted() {
        return at >= data.length;
    }

    int u8() {
        return at < data.length ? data[at++] & 0xFF : 0;
    }

    int u16() {
        return u8() | u8() << 8;
    }

    int s32() {
        return u16() | u16() << 16;
    }

    long u64() {
        return Integer.toUnsignedLong(s32()) | (long) s32() << 32;
    }

    boolean bool() {
        return (u8() & 1) != 0;
    }

    /** A value in {@code [0, bound)}; {@code bound} must be positive. */
    int below(int bound) {
        int raw = bound <= 0x100 ? u8() : bound <= 0x10000 ? u16() : s32() & Integer.MAX_VALUE;
        return raw % bound;
    }

    /** One of {@code choices}. */
    int pick(int... choices) {
        return choices[below(choices.length)];
    }

    /** Up to {@code n} bytes (fewer when the input runs out). */
    byte[] bytes(int n) {
        int take = Math.max(0, Math.min(n, data.length - at));
        byte[] out = Arrays.copyOfRange(data, at, at + take);
        at += take;
        return out;
    }
}
