package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Zero-copy: TX buffers filled in place, RX buffers held past the callback, and loud use after release. */
@Timeout(60)
class RpmsgZeroCopyTest {
    private static final int NUM = 8;

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 13 + seed);
        }
        return bytes;
    }

    private static void assertIllegalState(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(IllegalStateException.class);
    }

    /** Every one of {@code count} TX buffers can be taken (none was lost), then they all go back. */
    private static void assertAllTxBuffersCanBeTaken(RpmsgEndpoint ep, int count) {
        List<RpmsgTxBuffer> taken = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            taken.add(ep.txBuffer(WAIT));
        }
        assertThat(ep.tryTxBuffer()).as("more than %d TX buffers", count).isNull();
        taken.forEach(RpmsgTxBuffer::release);
    }

    private static boolean insideShared(RpmsgLoopback loop, MemorySegment segment) {
        long start = segment.address() - loop.memory().address();
        return segment.isNative() && start >= 0 && start + segment.byteSize() <= loop.memory().byteSize();
    }

    // ---------------------------------------------------------------- TX

    @Test
    void aTxBufferIsFilledInPlaceInSharedMemoryAndSentWithoutACopy() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            BlockingQueue<byte[]> atHost = new LinkedBlockingQueue<>();
            BlockingQueue<byte[]> atOther = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "zc", into(atHost), into(atRemote));
            loop.remote().createEndpoint("", 0x610, RpmsgAddresses.ANY, into(atOther));

            RpmsgTxBuffer tb = p.host().txBuffer();
            assertThat(tb.capacity()).isEqualTo(496).isEqualTo(p.host().maxPayload());
            MemorySegment payload = tb.payload();
            assertThat(payload.byteSize()).isEqualTo(496);
            assertThat(insideShared(loop, payload)).as("the payload is a view of the shared memory").isTrue();
            byte[] bytes = pattern(496, 1);
            MemorySegment.copy(bytes, 0, payload, ValueLayout.JAVA_BYTE, 0, bytes.length);
            tb.send(300);
            assertThat(take(atRemote)).isEqualTo(Arrays.copyOf(bytes, 300));

            RpmsgTxBuffer full = p.host().txBuffer(WAIT);
            full.payload().copyFrom(MemorySegment.ofArray(bytes));
            full.send(496);
            assertThat(take(atRemote)).isEqualTo(bytes);

            RpmsgTxBuffer elsewhere = p.host().tryTxBuffer();
            assertThat(elsewhere).isNotNull();
            elsewhere.payload().set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0x1234_5678);
            elsewhere.sendTo(0x610, 4);
            assertThat(take(atOther)).isEqualTo(MemorySegment.ofArray(new int[] {0x1234_5678}).toArray(
                    ValueLayout.JAVA_BYTE));

            RpmsgTxBuffer fromRemote = p.remote().txBuffer();
            assertThat(fromRemote.capacity()).isEqualTo(loop.remote().maxPayload());
            assertThat(insideShared(loop, fromRemote.payload())).isTrue();
            fromRemote.payload().asSlice(0, 5).copyFrom(MemorySegment.ofArray(pattern(5, 9)));
            fromRemote.send(5);
            assertThat(take(atHost)).isEqualTo(pattern(5, 9));

            RpmsgTxBuffer empty = p.host().txBuffer();
            empty.send(0);
            assertThat(take(atRemote)).isEmpty();
        }
    }

    @Test
    void tryTxBufferIsNullWhenEveryBufferIsOutAndAReleasedBufferGoesBackToThePool() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "pool", ignore(), into(atRemote));
            List<RpmsgTxBuffer> taken = new ArrayList<>();
            for (int i = 0; i < NUM; i++) {
                taken.add(p.host().txBuffer(WAIT));
            }
            assertThat(p.host().tryTxBuffer()).isNull();
            assertThat(p.host().trySend(ints(1))).isFalse();
            assertReason(() -> p.host().txBuffer(Duration.ofMillis(50)), Reason.NO_TX_BUFFER);
            assertThat(loop.host().stats().txBuffersFree()).isZero();
            assertThat(loop.host().stats().txBuffersAllocated()).isEqualTo(NUM);

            taken.removeFirst().release();
            assertThat(loop.host().stats().txBuffersFree()).isEqualTo(1);
            assertThat(p.host().trySend(ints(2))).isTrue();
            assertThat(take(atRemote)).isEqualTo(ints(2));

            int free = loop.host().stats().txBuffersFree();
            taken.removeFirst().release();
            assertThat(loop.host().stats().txBuffersFree()).isEqualTo(free + 1);
            taken.forEach(RpmsgTxBuffer::release);
            assertThat(loop.host().stats().txBuffersAllocated()).isEqualTo(NUM);
            assertAllTxBuffersCanBeTaken(p.host(), NUM);
            // Every release came before this marker on the one TX ring: anything a release sent arrives first.
            assertThat(p.host().trySend(ints(-1))).isTrue();
            assertThat(take(atRemote)).as("a released buffer sends nothing").isEqualTo(ints(-1));
        }
    }

    @Test
    void aTxBufferIsUnusableAfterItWasSentOrReleased() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "once", ignore(), into(atRemote));
            int dst = p.remote().address();
            long sentBefore = loop.host().stats().sent();

            RpmsgTxBuffer sent = p.host().txBuffer();
            sent.payload().set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
            sent.send(1);
            RpmsgTxBuffer released = p.host().txBuffer();
            released.release();
            for (RpmsgTxBuffer tb : List.of(sent, released)) {
                assertIllegalState(tb::payload);
                assertIllegalState(() -> tb.send(1));
                assertIllegalState(() -> tb.sendTo(dst, 1));
                assertIllegalState(tb::release);
            }
            assertThat(loop.host().stats().sent()).as("sent once, nothing else").isEqualTo(sentBefore + 1);
            p.host().send(ints(-1));
            assertThat(take(atRemote)).containsExactly(7);
            assertThat(take(atRemote)).as("nothing arrived in between").isEqualTo(ints(-1));
            assertAllTxBuffersCanBeTaken(p.host(), NUM);
        }
    }

    @Test
    void sendingMoreThanTheCapacityIsRefusedAndTheBufferStaysUsable() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "cap", ignore(), into(atRemote));
            long sentBefore = loop.host().stats().sent();
            RpmsgTxBuffer tb = p.host().txBuffer();
            assertThatThrownBy(() -> tb.send(tb.capacity() + 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> tb.send(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> tb.sendTo(p.remote().address(), 4096)).isInstanceOf(IllegalArgumentException.class);
            assertThat(loop.host().stats().sent()).isEqualTo(sentBefore);
            tb.payload().asSlice(0, 3).copyFrom(MemorySegment.ofArray(new byte[] {1, 2, 3}));
            tb.send(3);
            assertThat(take(atRemote)).containsExactly(1, 2, 3);
            assertThat(loop.host().stats().sent()).isEqualTo(sentBefore + 1);
        }
    }

    @Test
    void aSendThatFailsBecauseTheEndpointIsGoneOrUnboundPutsTheBufferBack() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            Pair p = bind(loop, "keep", ignore(), ignore());
            Pair doomed = bind(loop, "doomed", ignore(), ignore());
            RpmsgTxBuffer tb = doomed.host().txBuffer();
            doomed.host().destroy();
            assertReason(() -> tb.send(4), Reason.ENDPOINT_DESTROYED);
            assertIllegalState(tb::payload);
            assertIllegalState(tb::release);
            assertReason(doomed.host()::txBuffer, Reason.ENDPOINT_DESTROYED);
            assertReason(doomed.host()::tryTxBuffer, Reason.ENDPOINT_DESTROYED);

            RpmsgEndpoint unbound = loop.host().createEndpoint("", ignore());
            RpmsgTxBuffer loose = unbound.txBuffer();
            assertReason(() -> loose.send(4), Reason.NOT_BOUND);
            assertIllegalState(loose::release);
            RpmsgTxBuffer toAny = p.host().txBuffer();
            assertReason(() -> toAny.sendTo(RpmsgAddresses.ANY, 4), Reason.NOT_BOUND);

            assertAllTxBuffersCanBeTaken(p.host(), NUM);
        }
    }

    @Test
    void aSendThatFailsBecauseThePeerWasLostPutsTheBufferBack() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            Pair p = bind(loop, "lost", ignore(), ignore());
            List<RpmsgTxBuffer> taken = new ArrayList<>();
            for (int i = 0; i < NUM; i++) {
                taken.add(p.host().txBuffer(WAIT));
            }
            RpmsgTxBuffer last = taken.removeLast();
            taken.forEach(RpmsgTxBuffer::release);
            assertThat(loop.host().stats().txBuffersFree()).isEqualTo(NUM - 1);
            long sent = loop.host().stats().sent();

            loop.host().peerLost("test");
            RpmsgException refused = catchThrowableOfType(RpmsgException.class, () -> last.send(4));
            assertThat(loop.host().stats().txBuffersFree()).as("the buffer is back").isEqualTo(NUM);
            assertThat(loop.host().stats().sent()).isEqualTo(sent);
            assertIllegalState(last::payload);
            assertThat(refused).isNotNull();
            assertThat(refused.reason()).isEqualTo(Reason.PEER_LOST);
            assertReason(() -> p.host().send(ints(1)), Reason.PEER_LOST);
            assertReason(() -> p.host().sendTo(p.remote().address(), ints(1)), Reason.PEER_LOST);
            assertReason(p.host()::tryTxBuffer, Reason.PEER_LOST);
            assertReason(() -> p.host().txBuffer(WAIT), Reason.PEER_LOST);
        }
    }

    // ---------------------------------------------------------------- RX

    @Test
    void aHeldMessageOutlivesItsCallbackAndItsReleaseFromAnotherThreadGivesTheBufferBack() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "hold", (ep, msg) -> held.add(msg.hold()), ignore());
            for (int i = 0; i < NUM; i++) {
                p.remote().send(ints(i, i * i));
            }
            assertThat(p.remote().trySend(ints(99))).as("every remote TX buffer is held by the host").isFalse();
            assertReason(() -> p.remote().send(MemorySegment.ofArray(ints(99)), Duration.ofMillis(50)),
                    Reason.NO_TX_BUFFER);
            List<RpmsgMessage> messages = new ArrayList<>();
            for (int i = 0; i < NUM; i++) {
                RpmsgMessage m = take(held);
                assertThat(m.isHeld()).isTrue();
                assertThat(m.src()).isEqualTo(p.remote().address());
                assertThat(m.dst()).isEqualTo(p.host().address());
                assertThat(m.length()).isEqualTo(8);
                assertThat(m.getIntLE(0)).isEqualTo(i);
                assertThat(m.toByteArray()).isEqualTo(ints(i, i * i));
                assertThat(insideShared(loop, m.payload())).as("the payload is the RX buffer itself").isTrue();
                messages.add(m);
            }
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            Thread releaser = Thread.ofPlatform().name("releaser").start(() -> {
                try {
                    messages.forEach(RpmsgMessage::release);
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            assertThat(releaser.join(WAIT)).isTrue();
            assertThat(failures).isEmpty();
            for (RpmsgMessage m : messages) {
                assertThat(m.isHeld()).isFalse();
            }
            for (int i = 0; i < 3 * NUM; i++) {
                p.remote().send(MemorySegment.ofArray(ints(100 + i)), WAIT);
                RpmsgMessage m = take(held);
                assertThat(m.getIntLE(0)).isEqualTo(100 + i);
                m.release();
            }
            assertThat(loop.host().stats().droppedTotal()).isZero();
        }
    }

    private static void assertEveryAccessorFails(RpmsgMessage m) {
        assertIllegalState(m::src);
        assertIllegalState(m::dst);
        assertIllegalState(m::length);
        assertIllegalState(m::payload);
        assertIllegalState(() -> m.getByte(0));
        assertIllegalState(() -> m.getIntLE(0));
        assertIllegalState(() -> m.copyTo(new byte[64], 0));
        assertIllegalState(m::toByteArray);
        assertIllegalState(m::asString);
        assertIllegalState(m::hold);
        assertIllegalState(m::release);
        assertThat(m.isHeld()).isFalse();
    }

    @Test
    void aMessageNotHeldIsUnusableOnceItsCallbackReturned() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<RpmsgMessage> seen = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "leak", (ep, msg) -> seen.add(msg), ignore());
            p.remote().send(ints(1, 2));
            p.remote().send(ints(3));
            RpmsgMessage first = take(seen);
            take(seen); // the second callback runs only after the first one returned
            // Delivery reuses an unheld message object for the next message (no allocation per message), so
            // a kept reference is caught between deliveries, not during one: wait for the second callback's
            // return (the documented window; see RpmsgMessage's class doc).
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (!first.toString().contains("released") && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEveryAccessorFails(first);
        }
    }

    @Test
    void aReleasedMessageIsUnusableAndCannotBeReleasedOrHeldAgain() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "done", (ep, msg) -> held.add(msg.hold()), ignore());
            p.remote().send("hello".getBytes(StandardCharsets.UTF_8));
            RpmsgMessage m = take(held);
            assertThat(m.asString()).isEqualTo("hello");
            m.release();
            assertEveryAccessorFails(m);
        }
    }

    @Test
    void holdingTwiceOrReleasingAnUnheldMessageInsideTheCallbackThrowsAndLosesNoBuffer() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<String> outcomes = new LinkedBlockingQueue<>();
            RpmsgListener listener = (ep, msg) -> {
                StringBuilder s = new StringBuilder();
                try {
                    msg.release();
                    s.append("release-unheld-ok ");
                } catch (IllegalStateException e) {
                    s.append("release-unheld-refused ");
                }
                msg.hold();
                try {
                    msg.hold();
                    s.append("hold-twice-ok ");
                } catch (IllegalStateException e) {
                    s.append("hold-twice-refused ");
                }
                msg.release(); // held and released inside the callback: the buffer goes back once
                try {
                    msg.getByte(0);
                    s.append("read-after-release-ok");
                } catch (IllegalStateException e) {
                    s.append("read-after-release-refused");
                }
                outcomes.add(s.toString());
            };
            Pair p = bind(loop, "twice", listener, ignore());
            for (int i = 0; i < 3 * NUM; i++) {
                p.remote().send(MemorySegment.ofArray(ints(i)), WAIT);
            }
            for (int i = 0; i < 3 * NUM; i++) {
                assertThat(take(outcomes))
                        .isEqualTo("release-unheld-refused hold-twice-refused read-after-release-refused");
            }
            assertThat(loop.host().stats().droppedTotal()).isZero();
            assertThat(loop.host().state()).isEqualTo(RpmsgDevice.State.READY);
        }
    }

    @Test
    void aListenerThatThrowsLosesNoBufferAndIsCountedAsCallbackFailed() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            AtomicInteger calls = new AtomicInteger();
            BlockingQueue<byte[]> kept = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "throws", (ep, msg) -> {
                calls.incrementAndGet();
                if (msg.getIntLE(0) >= 0) {
                    throw new IllegalStateException("listener failure " + msg.getIntLE(0));
                }
                kept.add(msg.toByteArray());
            }, ignore());
            int failing = 4 * NUM;
            for (int i = 0; i < failing; i++) {
                // Each send needs a buffer the host gave back: with any lost, these would run dry.
                p.remote().send(MemorySegment.ofArray(ints(i)), WAIT);
            }
            p.remote().send(ints(-5));
            assertThat(take(kept)).isEqualTo(ints(-5));
            assertThat(calls.get()).isEqualTo(failing + 1);
            assertThat(loop.host().stats().dropped(Reason.CALLBACK_FAILED)).isEqualTo(failing);
            assertThat(loop.host().stats().droppedTotal()).isEqualTo(failing);
            assertThat(loop.host().state()).isEqualTo(RpmsgDevice.State.READY);
            assertThat(p.host().isDestroyed()).isFalse();
        }
    }
}
