package io.rptun.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Little-endian ints at the start of a heap message, the sequence numbers of the in-process baselines. */
final class Bytes {
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private Bytes() {
    }

    static int getInt(byte[] bytes) {
        return (int) INT_LE.get(bytes, 0);
    }

    static void putInt(byte[] bytes, int value) {
        INT_LE.set(bytes, 0, value);
    }
}
