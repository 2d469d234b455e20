package io.rptun.core.rpmsg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** What the rpmsg tests over an {@link RpmsgLoopback} share: binding a pair, listeners, payloads, reasons. */
final class RpmsgTestSupport {
    static final Duration WAIT = Duration.ofSeconds(10);

    private RpmsgTestSupport() {
    }

    /** A host endpoint and the remote service it is bound to. */
    record Pair(RpmsgEndpoint host, RpmsgEndpoint remote) {
    }

    /** A remote service and a host endpoint of the same name, both bound to each other. */
    static Pair bind(RpmsgLoopback loop, String name, RpmsgListener onHost, RpmsgListener onRemote) {
        RpmsgEndpoint remote = loop.remote().createEndpoint(name, onRemote);
        // Only once the host knows the service: it then binds at once and sends exactly one name-service
        // message, so nothing is left in flight when both sides are bound (the counters stay still).
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!loop.host().remoteServices().containsKey(name)) {
            assertThat(System.nanoTime() - deadline).as("the host learnt of '%s'", name).isNegative();
            LockSupport.parkNanos(100_000);
        }
        RpmsgEndpoint host = loop.host().createEndpoint(name, onHost);
        assertThat(host.awaitBound(WAIT)).isTrue();
        assertThat(remote.awaitBound(WAIT)).isTrue();
        assertThat(host.destination()).isEqualTo(remote.address());
        assertThat(remote.destination()).isEqualTo(host.address());
        return new Pair(host, remote);
    }

    /** A host and a remote over {@code num}-buffer rings of 512-byte buffers, both serving. */
    static RpmsgLoopback loopback(int num) {
        return RpmsgLoopback.start(RpmsgLoopback.table(num, 512));
    }

    /** The next element of {@code queue}, failing if none arrives within {@link #WAIT}. */
    static <T> T take(BlockingQueue<T> queue) throws InterruptedException {
        T value = queue.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(value).as("arrived in time").isNotNull();
        return value;
    }

    /**
     * Waits until {@code value} reaches {@code expected} (or {@link #WAIT} passes) and returns its last reading:
     * a figure counted on the serving thread after its last visible effect is read only once it settles.
     */
    static long awaitCount(java.util.function.LongSupplier value, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long seen = value.getAsLong();
        while (seen < expected && System.nanoTime() < deadline) {
            Thread.sleep(2);
            seen = value.getAsLong();
        }
        return seen;
    }

    /** A listener that copies every payload into {@code queue}. */
    static RpmsgListener into(BlockingQueue<byte[]> queue) {
        return (ep, msg) -> queue.add(msg.toByteArray());
    }

    /** A listener that does nothing. */
    static RpmsgListener ignore() {
        return (ep, msg) -> {
        };
    }

    /** Little-endian ints as a payload. */
    static byte[] ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    /** Asserts that {@code call} throws an {@link RpmsgException} with {@code reason}. */
    static void assertReason(ThrowingCallable call, RpmsgException.Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(RpmsgException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
