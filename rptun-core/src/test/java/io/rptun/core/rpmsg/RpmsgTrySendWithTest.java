package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RpmsgEndpoint#trySendWith}: the zero-copy send without a handle. It sends what the writer wrote,
 * says false without calling the writer when no TX buffer is free, and never loses a buffer: not to a writer
 * that throws or lies about the length, nor to an endpoint or device that goes away.
 */
@Timeout(60)
class RpmsgTrySendWithTest {
    private static final int NUM = 8;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Writes the ints little-endian; one instance serves every message. */
    private static final RpmsgPayloadWriter<int[]> INTS = (values, payload) -> {
        for (int i = 0; i < values.length; i++) {
            payload.setAtIndex(LE_INT, i, values[i]);
        }
        return values.length * Integer.BYTES;
    };

    /**
     * Every one of the {@value #NUM} TX buffers can be taken (none was lost), then they all go back: afterwards
     * all of them are in the free pool, none in flight.
     */
    private static void assertNoTxBufferLost(RpmsgEndpoint ep) {
        List<RpmsgTxBuffer> taken = new ArrayList<>();
        for (int i = 0; i < NUM; i++) {
            taken.add(ep.txBuffer(WAIT));
        }
        assertThat(ep.tryTxBuffer()).as("more than %d TX buffers", NUM).isNull();
        taken.forEach(RpmsgTxBuffer::release);
    }

    /** A writer that must not run. */
    private static <T> RpmsgPayloadWriter<T> never(AtomicInteger calls) {
        return (item, payload) -> {
            calls.incrementAndGet();
            return 0;
        };
    }

    @Test
    void theBytesTheWriterPutInTheSharedPayloadAreDelivered() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            BlockingQueue<byte[]> atHost = new LinkedBlockingQueue<>();
            BlockingQueue<byte[]> atOther = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "tsw", into(atHost), into(atRemote));
            RpmsgEndpoint other = loop.remote().createEndpoint("", 0x620, RpmsgAddresses.ANY, into(atOther));
            List<Long> sizes = new ArrayList<>();
            List<Boolean> shared = new ArrayList<>();
            RpmsgPayloadWriter<int[]> probe = (values, payload) -> {
                sizes.add(payload.byteSize());
                long start = payload.address() - loop.memory().address();
                shared.add(payload.isNative() && start >= 0 && start + payload.byteSize() <= loop.memory().byteSize());
                return INTS.write(values, payload);
            };

            assertThat(p.host().trySendWith(new int[] {1, 2, 3}, probe)).isTrue();
            assertThat(take(atRemote)).isEqualTo(ints(1, 2, 3));
            assertThat(sizes).containsExactly((long) p.host().maxPayload());
            assertThat(shared).as("the writer fills the TX buffer itself").containsExactly(true);

            assertThat(p.host().trySendWithTo(other.address(), new int[] {7}, INTS)).isTrue();
            assertThat(take(atOther)).isEqualTo(ints(7));
            assertThat(p.remote().trySendWith(new int[] {5, 6}, INTS)).isTrue();
            assertThat(take(atHost)).as("from the remote too").isEqualTo(ints(5, 6));
            assertThat(p.host().trySendWith(new int[0], INTS)).isTrue();
            assertThat(take(atRemote)).as("an empty message").isEmpty();
            byte[] full = new byte[p.host().maxPayload()];
            Arrays.fill(full, (byte) 0x5a);
            assertThat(p.host().trySendWith(full, (bytes, payload) -> {
                MemorySegment.copy(bytes, 0, payload, ValueLayout.JAVA_BYTE, 0, bytes.length);
                return bytes.length;
            })).isTrue();
            assertThat(take(atRemote)).as("a whole payload").isEqualTo(full);

            // Round the ring several times: each buffer comes back, and its (reused) payload view is right.
            for (int i = 0; i < 4 * NUM; i++) {
                int[] values = new int[1 + i % 5];
                Arrays.fill(values, i);
                while (!p.host().trySendWith(values, INTS)) {
                    LockSupport.parkNanos(100_000);
                }
                assertThat(take(atRemote)).isEqualTo(ints(values));
                assertThat(p.remote().trySendWith(values, INTS)).isTrue();
                assertThat(take(atHost)).isEqualTo(ints(values));
            }
        }
    }

    @Test
    void withEveryTxBufferInTheRingOfAPausedReceiverItIsFalseAndTheWriterIsNotCalled() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "full", ignore(), into(atRemote));
            p.remote().pauseDelivery();
            AtomicInteger calls = new AtomicInteger();
            int sent = 0;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                if (p.host().trySendWith(new int[] {sent}, INTS)) {
                    sent++;
                } else if (sent >= NUM) {
                    break;
                } else {
                    LockSupport.parkNanos(100_000);
                }
            }
            assertThat(sent).as("the host had the whole ring and no more").isEqualTo(NUM);
            long sentBefore = loop.host().stats().sent();
            assertThat(p.host().trySendWith(new int[] {99}, never(calls))).isFalse();
            assertThat(p.host().trySendWithTo(p.remote().address(), new int[] {99}, never(calls))).isFalse();
            assertThat(calls).as("no buffer, no call").hasValue(0);
            assertThat(loop.host().stats().sent()).isEqualTo(sentBefore);
            assertThat(atRemote).isEmpty();

            p.remote().resumeDelivery();
            for (int i = 0; i < NUM; i++) {
                assertThat(take(atRemote)).isEqualTo(ints(i));
            }
            p.host().send(ints(NUM));
            assertThat(take(atRemote)).as("the buffers came back").isEqualTo(ints(NUM));
        }
    }

    @Test
    void aWriterThatThrowsGetsItsExceptionThroughAndTheBufferGoesBackWithListenersTold() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "throw", ignore(), into(atRemote));
            assertNoTxBufferLost(p.host()); // every TX buffer in the pool: the counts below are exact
            assertThat(loop.host().stats().txBuffersFree()).isEqualTo(NUM);
            Thread me = Thread.currentThread();
            AtomicInteger toldHere = new AtomicInteger();
            // The serving thread tells listeners after every pass too: count only what this thread does.
            loop.host().addTxAvailableListener(() -> {
                if (Thread.currentThread() == me) {
                    toldHere.incrementAndGet();
                }
            });
            long sentBefore = loop.host().stats().sent();
            IllegalStateException boom = new IllegalStateException("writer failure");
            for (int i = 0; i < 2 * NUM; i++) {
                assertThatThrownBy(() -> p.host().trySendWith(new int[] {1}, (values, payload) -> {
                    payload.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0xdead);
                    throw boom;
                })).isSameAs(boom);
            }
            assertThat(toldHere).as("each buffer given back is announced").hasValue(2 * NUM);
            assertThat(loop.host().stats().sent()).as("nothing sent").isEqualTo(sentBefore);
            assertThat(loop.host().stats().txBuffersFree()).as("back in the pool").isEqualTo(NUM);
            assertNoTxBufferLost(p.host());
            assertThat(p.host().trySendWith(new int[] {-1}, INTS)).isTrue();
            assertThat(take(atRemote)).as("a failed write sent nothing").isEqualTo(ints(-1));
        }
    }

    @Test
    void aLengthOutsideThePayloadIsRefusedWithATypedErrorAndTheBufferGoesBack() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "len", ignore(), into(atRemote));
            long sentBefore = loop.host().stats().sent();
            for (int i = 0; i < NUM; i++) {
                assertReason(() -> p.host().trySendWith(0, (x, payload) -> (int) payload.byteSize() + 1),
                        Reason.PAYLOAD_TOO_LARGE);
                assertThatThrownBy(() -> p.host().trySendWithTo(p.remote().address(), 0, (x, payload) -> -1))
                        .isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(loop.host().stats().sent()).isEqualTo(sentBefore);
            assertNoTxBufferLost(p.host());
            assertThat(p.host().trySendWith(new int[] {-1}, INTS)).isTrue();
            assertThat(take(atRemote)).isEqualTo(ints(-1));
        }
    }

    @Test
    void aDestroyedOrUnboundEndpointIsRefusedWithItsReasonAndTheWriterIsNotCalled() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            Pair p = bind(loop, "keep", ignore(), ignore());
            Pair doomed = bind(loop, "doomed", ignore(), ignore());
            AtomicInteger calls = new AtomicInteger();
            doomed.host().destroy();
            assertReason(() -> doomed.host().trySendWith(1, never(calls)), Reason.ENDPOINT_DESTROYED);
            assertReason(() -> doomed.host().trySendWithTo(doomed.remote().address(), 1, never(calls)),
                    Reason.ENDPOINT_DESTROYED);
            RpmsgEndpoint unbound = loop.host().createEndpoint("", ignore());
            assertReason(() -> unbound.trySendWith(1, never(calls)), Reason.NOT_BOUND);
            assertReason(() -> p.host().trySendWithTo(RpmsgAddresses.ANY, 1, never(calls)), Reason.NOT_BOUND);
            assertThat(calls).hasValue(0);
            assertNoTxBufferLost(p.host());
        }
    }

    @Test
    void anEndpointDestroyedWhileTheWriterWritesSendsNothingAndLosesNoBuffer() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            Pair p = bind(loop, "keep", ignore(), ignore());
            Pair doomed = bind(loop, "doomed", ignore(), ignore());
            long sentBefore = loop.host().stats().sent();
            assertReason(() -> doomed.host().trySendWith(new int[] {1}, (values, payload) -> {
                doomed.host().destroy();
                return INTS.write(values, payload);
            }), Reason.ENDPOINT_DESTROYED);
            assertThat(loop.host().stats().sent()).as("the NS destroy only").isLessThanOrEqualTo(sentBefore + 1);
            assertNoTxBufferLost(p.host());
        }
    }

    @Test
    void aPeerLostBeforeOrWhileTheWriterWritesGivesPeerLostAndTheBufferIsBack() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            Pair p = bind(loop, "lost", ignore(), ignore());
            int dst = p.remote().address();
            assertNoTxBufferLost(p.host()); // every TX buffer in the pool: the count below is exact
            long sentBefore = loop.host().stats().sent();
            assertReason(() -> p.host().trySendWith(new int[] {1}, (values, payload) -> {
                loop.host().peerLost("test");
                return INTS.write(values, payload);
            }), Reason.PEER_LOST);
            assertThat(loop.host().stats().sent()).isEqualTo(sentBefore);
            assertThat(loop.host().stats().txBuffersFree()).as("the buffer is back").isEqualTo(NUM);
            AtomicInteger calls = new AtomicInteger();
            assertReason(() -> p.host().trySendWith(1, never(calls)), Reason.PEER_LOST);
            assertReason(() -> p.host().trySendWithTo(dst, 1, never(calls)), Reason.PEER_LOST);
            assertThat(calls).hasValue(0);
        }
    }
}
