package io.rptun.reactive;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgListener;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.concurrent.locks.LockSupport;

/** What the reactive tests share: a loopback, binding a channel to a plain remote endpoint, payloads, leak checks. */
final class ReactiveTestSupport {
    static final Duration WAIT = Duration.ofSeconds(10);
    /** RX ring size of the loopbacks here: bounds below it. */
    static final int RING = 32;

    private ReactiveTestSupport() {
    }

    static RpmsgLoopback loopback() {
        return RpmsgLoopback.start(RpmsgLoopback.table(RING, 256));
    }

    /** A host channel opened to a plain core endpoint on the remote; both bound to each other. */
    record Bound(RpmsgChannel channel, RpmsgEndpoint remote) {
    }

    static Bound open(RpmsgReactive rpmsg, RpmsgLoopback loop, String name, RpmsgListener onRemote) {
        RpmsgEndpoint remote = loop.remote().createEndpoint(name, onRemote);
        RpmsgChannel channel = rpmsg.open(name, WAIT).block(WAIT);
        assertThat(channel).isNotNull();
        assertThat(remote.awaitBound(WAIT)).isTrue();
        assertThat(channel.destination()).isEqualTo(remote.address());
        assertThat(remote.destination()).isEqualTo(channel.address());
        return new Bound(channel, remote);
    }

    static RpmsgListener ignore() {
        return (ep, msg) -> {
        };
    }

    static byte[] ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    /** Waits (bounded) for a condition another thread makes true; fails with {@code what} if it does not. */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as(what).isNegative();
            LockSupport.parkNanos(200_000);
        }
    }

    /** The leak check: every RX buffer the application held on {@code device} is back. */
    static void assertNoHeldBuffers(RpmsgDevice device) {
        await(device + " holds no RX buffer (held " + device.heldRxBuffers() + ")", () -> device.heldRxBuffers() == 0);
    }

    /** The leak check for a channel: it queues nothing, and the device holds no RX buffer. */
    static void assertNoHeldBuffers(RpmsgChannel channel) {
        await(channel + " holds nothing (" + channel.stats() + ")",
                () -> channel.stats().held() == 0 && channel.stats().copied() == 0);
        assertNoHeldBuffers(channel.endpoint().device());
    }

    /** Sends with the remote's blocking send until it fails (the channel closed) or {@code count} were sent. */
    static int sendSequence(RpmsgEndpoint remote, int from, int count) {
        int i = from;
        try {
            for (; i < from + count; i++) {
                remote.send(ints(i));
            }
        } catch (RpmsgException e) {
            return i - from;
        }
        return count;
    }

    /** Asserts a typed core failure. */
    static Consumer<Throwable> rpmsgReason(RpmsgException.Reason reason) {
        return e -> assertThat(e).isInstanceOfSatisfying(RpmsgException.class,
                re -> assertThat(re.reason()).isEqualTo(reason));
    }

    /** Asserts a typed reactive failure. */
    static Consumer<Throwable> reactiveReason(RpmsgReactiveException.Reason reason) {
        return e -> assertThat(e).isInstanceOfSatisfying(RpmsgReactiveException.class,
                re -> assertThat(re.reason()).isEqualTo(reason));
    }
}
