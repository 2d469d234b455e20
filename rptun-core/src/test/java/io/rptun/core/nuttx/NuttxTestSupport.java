package io.rptun.core.nuttx;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgListener;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/** What the NuttX service tests share: NuttX-sized loopbacks, waits with deadlines (stall detectors only). */
final class NuttxTestSupport {
    static final Duration WAIT = Duration.ofSeconds(10);
    /** NuttX's {@code fw_rsc_config}: 1,536-byte buffers, 1,520 payload bytes. */
    static final int NUTTX_BUFFER = 1536;
    static final int NUTTX_PAYLOAD = NUTTX_BUFFER - 16;

    private NuttxTestSupport() {
    }

    /** A host (NuttX's {@code server}) and a remote ({@code proxy}) with NuttX's buffer size, both serving. */
    static RpmsgLoopback loopback() {
        return RpmsgLoopback.start(RpmsgLoopback.table(16, NUTTX_BUFFER));
    }

    /** Waits until both endpoints are bound (to each other). */
    static void awaitBound(RpmsgEndpoint a, RpmsgEndpoint b) {
        assertThat(a.awaitBound(WAIT)).as("%s bound", a).isTrue();
        assertThat(b.awaitBound(WAIT)).as("%s bound", b).isTrue();
        assertThat(a.destination()).isEqualTo(b.address());
        assertThat(b.destination()).isEqualTo(a.address());
    }

    /** The next element of {@code queue}, failing if none arrives within {@link #WAIT}. */
    static <T> T take(BlockingQueue<T> queue) throws InterruptedException {
        T value = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(value).as("arrived in time").isNotNull();
        return value;
    }

    /** Waits until {@code condition} holds, failing after {@link #WAIT}. */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as(what).isNegative();
            LockSupport.parkNanos(200_000);
        }
    }

    /** A little-endian buffer over a copy of a message. */
    static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A little-endian buffer of {@code size} bytes to build a message in. */
    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A listener that copies each payload into {@code queue}. */
    static RpmsgListener into(BlockingQueue<byte[]> queue) {
        return (ep, msg) -> queue.add(msg.toByteArray());
    }
}
