package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rsc.VringResource;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Sending: send, sendTo, trySend, TX-buffer exhaustion, size limits, many threads, sends from callbacks. */
class RpmsgSendTest {
    private static final int MARKER = -1;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static int firstInt(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    }

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + seed);
        }
        return bytes;
    }

    /** {@code avail.idx} of the host's TX vring (vring 1), read from the shared memory. */
    private static int hostTxAvailIdx(RpmsgLoopback loop) {
        VringResource r = loop.table().parsed().table().vdevs().get(0).vrings().get(1);
        SharedRegion region = SharedRegion.of(loop.memory(), 0, AddressEnvironment.identity());
        Vring ring = Vring.at(region, loop.table().vringDa(0, 1), r.num(), r.align());
        return VringAvailLayout.idxAcquire(ring.memory(), VringLayout.availOffset(r.num()));
    }

    // ---------------------------------------------------------------- TX exhaustion

    @Test
    @Timeout(60)
    void whenTheRemoteHoldsEveryBufferTrySendFailsSendTimesOutTypedAndAfterTheReleaseNothingWasLost()
            throws Exception {
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host").withSendTimeout(Duration.ofMillis(200));
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 512), hostOptions,
                RpmsgOptions.defaults().withName("remote"))) {
            BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "hold", ignore(), (ep, msg) -> held.add(msg.hold()));
            List<Integer> reportedSent = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                // An explicit wait: the name-service buffer may still be on its way back.
                p.host().send(MemorySegment.ofArray(ints(i)), WAIT);
                reportedSent.add(i);
            }
            assertThat(p.host().trySend(ints(1000))).isFalse();
            assertThat(p.host().trySend(MemorySegment.ofArray(ints(1001)))).isFalse();
            assertThat(p.host().trySendTo(p.remote().address(), ints(1002))).isFalse();
            assertReason(() -> p.host().send(ints(1003)), Reason.NO_TX_BUFFER);
            assertReason(() -> p.host().sendTo(p.remote().address(), ints(1004)), Reason.NO_TX_BUFFER);
            assertThat(loop.host().stats().txBuffersFree()).isZero();
            assertThat(loop.host().stats().txBuffersAllocated()).isEqualTo(8);
            assertThat(loop.host().state()).isEqualTo(RpmsgDevice.State.READY);

            List<RpmsgMessage> first = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                RpmsgMessage m = held.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(m).as("held message %d", i).isNotNull();
                first.add(m);
            }
            List<Integer> received = new ArrayList<>();
            for (RpmsgMessage m : first) {
                received.add(m.getIntLE(0));
                m.release();
            }
            for (int i = 8; i < 12; i++) {
                p.host().send(MemorySegment.ofArray(ints(i)), WAIT);
                reportedSent.add(i);
            }
            p.host().send(MemorySegment.ofArray(ints(MARKER)), WAIT);
            while (true) {
                RpmsgMessage m = held.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(m).as("a message after %s", received).isNotNull();
                int value = m.getIntLE(0);
                m.release();
                if (value == MARKER) {
                    break;
                }
                received.add(value);
            }
            assertThat(received).isEqualTo(reportedSent);
            assertThat(loop.remote().stats().droppedTotal()).isZero();
        }
    }

    /** Sends from a new thread while every TX buffer is out; returns what the send threw. */
    private static Throwable sendWhileExhausted(Pair p, Consumer<Thread> disturb) throws Exception {
        BlockingQueue<Throwable> outcome = new LinkedBlockingQueue<>();
        Thread sender = Thread.ofPlatform().name("waiting-sender").start(() -> {
            try {
                p.host().sendTo(p.remote().address(), ints(77));
                outcome.add(new AssertionError("the send went through"));
            } catch (Throwable e) {
                if (e instanceof RpmsgException r && r.reason() == Reason.INTERRUPTED
                        && !Thread.currentThread().isInterrupted()) {
                    e = new AssertionError("INTERRUPTED without the interrupt flag set again", e);
                }
                outcome.add(e);
            }
        });
        disturb.accept(sender);
        assertThat(sender.join(WAIT)).isTrue();
        Throwable thrown = outcome.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(thrown).isNotNull();
        return thrown;
    }

    private static Pair exhausted(RpmsgLoopback loop, BlockingQueue<RpmsgMessage> held) {
        Pair p = bind(loop, "exhaust", ignore(), (ep, msg) -> held.add(msg.hold()));
        for (int i = 0; i < 8; i++) {
            p.host().send(MemorySegment.ofArray(ints(i)), WAIT);
        }
        assertThat(p.host().trySend(ints(8))).isFalse();
        return p;
    }

    @Test
    @Timeout(60)
    void aSendWaitingForATxBufferFailsWithInterruptedWhenItsThreadIsInterrupted() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 512))) {
            Pair p = exhausted(loop, new LinkedBlockingQueue<>());
            Throwable thrown = sendWhileExhausted(p, Thread::interrupt);
            assertThat(thrown).isInstanceOfSatisfying(RpmsgException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.INTERRUPTED));
            assertThat(loop.host().state()).isEqualTo(RpmsgDevice.State.READY);
            assertThat(loop.host().stats().txBuffersFree()).isZero();
        }
    }

    @Test
    @Timeout(60)
    void aSendWaitingForATxBufferFailsWithPeerLostWhenThePeerIsDeclaredLost() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 512))) {
            Pair p = exhausted(loop, new LinkedBlockingQueue<>());
            Throwable thrown = sendWhileExhausted(p, t -> loop.host().peerLost("test"));
            assertThat(thrown).isInstanceOfSatisfying(RpmsgException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.PEER_LOST));
            assertThat(loop.host().state()).isEqualTo(RpmsgDevice.State.PEER_LOST);
            assertReason(() -> p.host().sendTo(p.remote().address(), ints(1)), Reason.PEER_LOST);
            assertReason(() -> p.host().trySendTo(p.remote().address(), ints(1)), Reason.PEER_LOST);
        }
    }

    @Test
    @Timeout(60)
    void aSendOnAnEndpointThatWasBoundFailsWithPeerLostOnceThePeerIsLost() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 512))) {
            Pair p = bind(loop, "gone", ignore(), ignore());
            loop.host().peerLost("test");
            assertThat(p.host().isBound()).isFalse();
            // RpmsgDevice#peerLost: "every waiting send and every later send fails with PEER_LOST".
            assertReason(() -> p.host().send(ints(1)), Reason.PEER_LOST);
            assertReason(() -> p.host().trySend(ints(1)), Reason.PEER_LOST);
        }
    }

    // ---------------------------------------------------------------- sizes

    @Test
    @Timeout(60)
    void aPayloadOneByteTooLargeIsRefusedBeforeAnyRingIsTouchedAndTheLargestArrivesByteExact() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 512))) {
            BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "size", ignore(), into(got));
            assertThat(loop.host().maxPayload()).isEqualTo(496);
            assertThat(loop.remote().maxPayload()).isEqualTo(496);
            assertThat(p.host().maxPayload()).isEqualTo(496);

            int availBefore = hostTxAvailIdx(loop);
            long sentBefore = loop.host().stats().sent();
            byte[] tooLarge = pattern(497, 1);
            int dst = p.remote().address();
            assertReason(() -> p.host().send(tooLarge), Reason.PAYLOAD_TOO_LARGE);
            assertReason(() -> p.host().send(new byte[600], 50, 497), Reason.PAYLOAD_TOO_LARGE);
            assertReason(() -> p.host().send(MemorySegment.ofArray(tooLarge)), Reason.PAYLOAD_TOO_LARGE);
            assertReason(() -> p.host().send(MemorySegment.ofArray(tooLarge), WAIT), Reason.PAYLOAD_TOO_LARGE);
            assertReason(() -> p.host().sendTo(dst, tooLarge), Reason.PAYLOAD_TOO_LARGE);
            assertReason(() -> p.host().trySend(tooLarge), Reason.PAYLOAD_TOO_LARGE);
            assertReason(() -> p.host().trySend(MemorySegment.ofArray(tooLarge)), Reason.PAYLOAD_TOO_LARGE);
            assertReason(() -> p.host().trySendTo(dst, tooLarge), Reason.PAYLOAD_TOO_LARGE);
            assertReason(() -> p.host().send(new byte[65536]), Reason.PAYLOAD_TOO_LARGE);
            assertThat(hostTxAvailIdx(loop)).isEqualTo(availBefore);
            assertThat(loop.host().stats().sent()).isEqualTo(sentBefore);
            assertReason(() -> p.remote().send(tooLarge), Reason.PAYLOAD_TOO_LARGE);

            byte[] largest = pattern(496, 7);
            p.host().send(largest);
            assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(largest);
            assertThat(hostTxAvailIdx(loop)).isEqualTo((availBefore + 1) & 0xFFFF);
            assertThat(loop.host().stats().sent()).isEqualTo(sentBefore + 1);
            p.host().send(new byte[0]);
            assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEmpty();
        }
    }

    @ParameterizedTest(name = "h2r {0}, r2h {1}")
    @CsvSource({"512, 512", "1024, 1024", "1024, 768", "640, 2048"})
    @Timeout(60)
    void withBufszEachDirectionCarriesItsOwnBufferSizeLessTheHeader(int h2r, int r2h) throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 512).withBufferSizes(h2r, r2h))) {
            BlockingQueue<byte[]> atHost = new LinkedBlockingQueue<>();
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "bufsz", into(atHost), into(atRemote));
            assertThat(loop.host().features() & RpmsgAddresses.F_BUFSZ).isEqualTo(RpmsgAddresses.F_BUFSZ);
            assertThat(loop.host().txBufferSize()).isEqualTo(h2r);
            assertThat(loop.host().rxBufferSize()).isEqualTo(r2h);
            assertThat(loop.remote().txBufferSize()).isEqualTo(r2h);
            assertThat(loop.remote().rxBufferSize()).isEqualTo(h2r);
            assertThat(loop.host().maxPayload()).isEqualTo(h2r - 16);
            assertThat(loop.remote().maxPayload()).isEqualTo(r2h - 16);
            assertThat(p.remote().maxPayload()).isEqualTo(r2h - 16);

            long hostSent = loop.host().stats().sent();
            long remoteSent = loop.remote().stats().sent();
            assertReason(() -> p.host().send(new byte[h2r - 15]), Reason.PAYLOAD_TOO_LARGE);
            assertReason(() -> p.remote().send(new byte[r2h - 15]), Reason.PAYLOAD_TOO_LARGE);
            assertThat(loop.host().stats().sent()).isEqualTo(hostSent);
            assertThat(loop.remote().stats().sent()).isEqualTo(remoteSent);

            byte[] toRemote = pattern(h2r - 16, 3);
            byte[] toHost = pattern(r2h - 16, 5);
            for (int i = 0; i < 20; i++) {
                p.host().send(toRemote);
                p.remote().send(toHost);
            }
            for (int i = 0; i < 20; i++) {
                assertThat(atRemote.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(toRemote);
                assertThat(atHost.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(toHost);
            }
        }
    }

    @Test
    @Timeout(60)
    void withoutBufszTheConfiguredSizesAreIgnoredAndBuffersAre512Bytes() throws Exception {
        RpmsgOptions hostOptions = RpmsgOptions.defaults().withName("host").withFeatures(RpmsgAddresses.F_NS);
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 1024).withBufferSizes(1024, 2048),
                hostOptions, RpmsgOptions.defaults().withName("remote"))) {
            BlockingQueue<byte[]> atHost = new LinkedBlockingQueue<>();
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "nobufsz", into(atHost), into(atRemote));
            assertThat(loop.host().features()).isEqualTo(RpmsgAddresses.F_NS);
            assertThat(loop.remote().features()).isEqualTo(RpmsgAddresses.F_NS);
            for (RpmsgDevice d : List.of(loop.host(), loop.remote())) {
                assertThat(d.txBufferSize()).as(d.toString()).isEqualTo(512);
                assertThat(d.rxBufferSize()).as(d.toString()).isEqualTo(512);
                assertThat(d.maxPayload()).as(d.toString()).isEqualTo(496);
            }
            assertReason(() -> p.host().send(new byte[497]), Reason.PAYLOAD_TOO_LARGE);
            assertReason(() -> p.remote().send(new byte[497]), Reason.PAYLOAD_TOO_LARGE);
            byte[] largest = pattern(496, 9);
            p.host().send(largest);
            p.remote().send(largest);
            assertThat(atRemote.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(largest);
            assertThat(atHost.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(largest);
        }
    }

    // ---------------------------------------------------------------- addresses

    @Test
    @Timeout(60)
    void sendToReachesAnotherAddressWithoutChangingTheDestination() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 512))) {
            BlockingQueue<byte[]> atService = new LinkedBlockingQueue<>();
            BlockingQueue<int[]> atOther = new LinkedBlockingQueue<>();
            Pair p = bind(loop, "svc", ignore(), into(atService));
            RpmsgEndpoint other = loop.remote().createEndpoint("", 0x600, RpmsgAddresses.ANY,
                    (ep, msg) -> atOther.add(new int[] {msg.src(), msg.dst(), msg.getIntLE(0)}));
            int destination = p.host().destination();

            p.host().sendTo(0x600, ints(1));
            p.host().sendTo(0x600, MemorySegment.ofArray(ints(2)));
            assertThat(p.host().trySendTo(0x600, ints(3))).isTrue();
            for (int i = 1; i <= 3; i++) {
                assertThat(atOther.poll(WAIT.toSeconds(), TimeUnit.SECONDS))
                        .containsExactly(p.host().address(), 0x600, i);
            }
            assertThat(p.host().destination()).isEqualTo(destination);
            assertThat(other.destination()).as("adopted the first sender").isEqualTo(p.host().address());
            p.host().send(ints(4));
            assertThat(firstInt(atService.poll(WAIT.toSeconds(), TimeUnit.SECONDS)))
                    .as("the service got nothing sent elsewhere").isEqualTo(4);
        }
    }

    @Test
    @Timeout(60)
    void sendingToAnyOrFromAnUnboundEndpointIsNotBoundAndSendsNothing() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 512))) {
            BlockingQueue<int[]> atRemote = new LinkedBlockingQueue<>();
            RpmsgEndpoint sink = loop.remote().createEndpoint("", 0x700, RpmsgAddresses.ANY,
                    (ep, msg) -> atRemote.add(new int[] {msg.src(), msg.getIntLE(0)}));
            RpmsgEndpoint unbound = loop.host().createEndpoint("", ignore());
            assertThat(unbound.isBound()).isFalse();
            assertThat(unbound.destination()).isEqualTo(RpmsgAddresses.ANY);
            long sentBefore = loop.host().stats().sent();
            int availBefore = hostTxAvailIdx(loop);

            assertReason(() -> unbound.send(ints(1)), Reason.NOT_BOUND);
            assertReason(() -> unbound.send(ints(1), 0, 4), Reason.NOT_BOUND);
            assertReason(() -> unbound.send(MemorySegment.ofArray(ints(1))), Reason.NOT_BOUND);
            assertReason(() -> unbound.send(MemorySegment.ofArray(ints(1)), WAIT), Reason.NOT_BOUND);
            assertReason(() -> unbound.trySend(ints(1)), Reason.NOT_BOUND);
            assertReason(() -> unbound.trySend(MemorySegment.ofArray(ints(1))), Reason.NOT_BOUND);
            assertReason(() -> unbound.sendTo(RpmsgAddresses.ANY, ints(1)), Reason.NOT_BOUND);
            assertReason(() -> unbound.sendTo(RpmsgAddresses.ANY, MemorySegment.ofArray(ints(1))), Reason.NOT_BOUND);
            assertReason(() -> unbound.trySendTo(RpmsgAddresses.ANY, ints(1)), Reason.NOT_BOUND);
            assertThat(loop.host().stats().sent()).isEqualTo(sentBefore);
            assertThat(hostTxAvailIdx(loop)).isEqualTo(availBefore);

            unbound.sendTo(0x700, ints(5));
            assertThat(atRemote.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).containsExactly(unbound.address(), 5);
            assertThat(unbound.isBound()).as("sendTo does not bind").isFalse();
            assertThat(sink.destination()).isEqualTo(unbound.address());

            unbound.destroy();
            assertReason(() -> unbound.send(ints(1)), Reason.ENDPOINT_DESTROYED);
            assertReason(() -> unbound.sendTo(0x700, ints(1)), Reason.ENDPOINT_DESTROYED);
        }
    }

    // ---------------------------------------------------------------- threads

    @Test
    @Timeout(120)
    void fourThreadsSendingAtOnceLoseDuplicateAndReorderNothing() throws Exception {
        int threads = 4;
        int perThread = 50_000;
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            int[] next = new int[threads];
            int[] wrongSource = new int[1];
            List<String> errors = new ArrayList<>();
            CountDownLatch all = new CountDownLatch(threads * perThread);
            int[][] expectedSource = new int[1][];
            RpmsgListener counter = (ep, msg) -> {
                int t = msg.getIntLE(0);
                int seq = msg.getIntLE(4);
                if (seq != next[t] && errors.size() < 20) {
                    errors.add("thread " + t + ": got " + seq + ", expected " + next[t]);
                }
                next[t] = seq + 1;
                if (msg.src() != expectedSource[0][t]) {
                    wrongSource[0]++;
                }
                all.countDown();
            };
            Pair a = bind(loop, "count-a", ignore(), counter);
            Pair b = bind(loop, "count-b", ignore(), counter);
            RpmsgEndpoint[] senders = {a.host(), b.host(), a.host(), b.host()};
            expectedSource[0] = Arrays.stream(senders).mapToInt(RpmsgEndpoint::address).toArray();
            long sentBefore = loop.host().stats().sent();

            CountDownLatch start = new CountDownLatch(1);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                workers.add(Thread.ofPlatform().name("sender-" + t).start(() -> {
                    try {
                        start.await();
                        byte[] payload = new byte[8];
                        MemorySegment seg = MemorySegment.ofArray(payload);
                        for (int seq = 0; seq < perThread; seq++) {
                            seg.set(LE_INT, 0, id);
                            seg.set(LE_INT, 4, seq);
                            senders[id].send(payload);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            start.countDown();
            for (Thread w : workers) {
                assertThat(w.join(Duration.ofSeconds(100))).as(w.getName() + " finished").isTrue();
            }
            assertThat(failures).isEmpty();
            assertThat(all.await(30, TimeUnit.SECONDS)).as("every message arrived").isTrue();
            assertThat(errors).isEmpty();
            assertThat(next).containsOnly(perThread);
            assertThat(wrongSource[0]).isZero();
            assertThat(loop.host().stats().sent() - sentBefore).isEqualTo((long) threads * perThread);
            assertThat(loop.remote().stats().droppedTotal()).isZero();
        }
    }

    /** One side of the storm: answers every original with an echo, from the callback, and checks order. */
    private static final class StormSide implements RpmsgListener {
        static final int ORIGINAL = 0;
        static final int ECHO = 1;
        private final int expected;
        final CountDownLatch done = new CountDownLatch(1);
        int nextOriginal;
        int nextEcho;
        int received;
        int waitedInCallback;
        final List<String> errors = new ArrayList<>();

        StormSide(int originals) {
            this.expected = 2 * originals;
        }

        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            int kind = msg.getIntLE(0);
            int seq = msg.getIntLE(4);
            if (kind == ORIGINAL) {
                check("original", seq, nextOriginal);
                nextOriginal = seq + 1;
                byte[] echo = ints(ECHO, seq);
                if (!ep.trySend(echo)) {
                    waitedInCallback++;
                    ep.send(echo); // no TX buffer free: must not deadlock against the peer doing the same
                }
            } else {
                check("echo", seq, nextEcho);
                nextEcho = seq + 1;
            }
            if (++received == expected) {
                done.countDown();
            }
        }

        private void check(String what, int seq, int next) {
            if (seq != next && errors.size() < 20) {
                errors.add(what + " " + seq + " arrived when " + next + " was due");
            }
        }
    }

    @Test
    @Timeout(120)
    void aPingPongStormWhereBothCallbacksWaitForTxBuffersCompletesInOrder() throws Exception {
        int originals = 20_000;
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(8, 512))) {
            StormSide hostSide = new StormSide(originals);
            StormSide remoteSide = new StormSide(originals);
            Pair p = bind(loop, "storm", hostSide, remoteSide);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> senders = new ArrayList<>();
            for (RpmsgEndpoint ep : List.of(p.host(), p.remote())) {
                senders.add(Thread.ofPlatform().name("storm-" + ep.device().options().name()).start(() -> {
                    try {
                        start.await();
                        for (int seq = 0; seq < originals; seq++) {
                            ep.send(ints(StormSide.ORIGINAL, seq));
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            start.countDown();
            for (Thread t : senders) {
                assertThat(t.join(Duration.ofSeconds(100))).as(t.getName() + " finished").isTrue();
            }
            assertThat(failures).isEmpty();
            boolean hostDone = hostSide.done.await(60, TimeUnit.SECONDS);
            boolean remoteDone = remoteSide.done.await(60, TimeUnit.SECONDS);
            assertThat(hostDone && remoteDone).as(() -> "storm finished:\n" + loop.host().dump() + "\n"
                    + loop.remote().dump()).isTrue();
            for (StormSide side : List.of(hostSide, remoteSide)) {
                assertThat(side.errors).isEmpty();
                assertThat(side.nextOriginal).isEqualTo(originals);
                assertThat(side.nextEcho).isEqualTo(originals);
                assertThat(side.received).isEqualTo(2 * originals);
            }
            assertThat(hostSide.waitedInCallback).as("host callbacks that found no TX buffer").isPositive();
            assertThat(remoteSide.waitedInCallback).as("remote callbacks that found no TX buffer").isPositive();
            for (RpmsgDevice d : List.of(loop.host(), loop.remote())) {
                assertThat(d.stats().dropped()).as(d + " drops").isEmpty();
                assertThat(d.state()).isEqualTo(RpmsgDevice.State.READY);
            }
        }
    }

    @Test
    void aSendWaitingForABufferWhenItsEndpointIsDestroyedFailsInsteadOfSendingFromTheDeadAddress() throws Exception {
        try (RpmsgLoopback loop = loopback(8)) {
            BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
            CountDownLatch release = new CountDownLatch(1);
            Pair pair = bind(loop, "doomed", ignore(), (ep, msg) -> {
                got.add(msg.toByteArray());
                try {
                    release.await(); // the remote's serving thread holds on: the host's TX buffers stay with it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < 8; i++) {
                pair.host().send(new byte[] {(byte) i});
            }
            java.util.concurrent.CompletableFuture<Void> waiting = java.util.concurrent.CompletableFuture.runAsync(
                    () -> pair.host().send(MemorySegment.ofArray(new byte[] {99}), Duration.ofSeconds(10)),
                    RpmsgSendTest::ownThread);
            Thread.sleep(50); // the ninth send is waiting for a buffer now
            // destroy() itself waits for a TX buffer (its NS destroy): it marks the endpoint destroyed first.
            java.util.concurrent.CompletableFuture<Void> destroyed = java.util.concurrent.CompletableFuture.runAsync(
                    () -> pair.host().destroy(), RpmsgSendTest::ownThread);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!pair.host().isDestroyed() && System.nanoTime() - deadline < 0) {
                Thread.sleep(1);
            }
            release.countDown();
            assertThatThrownBy(() -> waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS)).hasCauseInstanceOf(
                    RpmsgException.class).cause().satisfies(e -> assertThat(((RpmsgException) e).reason())
                            .isEqualTo(Reason.ENDPOINT_DESTROYED));
            destroyed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            for (int i = 0; i < 8; i++) {
                assertThat(take(got)).containsExactly((byte) i);
            }
            assertThat(got.poll(200, TimeUnit.MILLISECONDS)).as("nothing from the destroyed endpoint").isNull();
        }
    }

    /** A thread per task: the common pool may have one worker on a small machine, and these tasks block. */
    private static void ownThread(Runnable task) {
        Thread.ofPlatform().daemon().start(task);
    }
}
