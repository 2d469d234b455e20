package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgTestSupport.WAIT;
import static io.rptun.core.rpmsg.RpmsgTestSupport.assertReason;
import static io.rptun.core.rpmsg.RpmsgTestSupport.bind;
import static io.rptun.core.rpmsg.RpmsgTestSupport.ignore;
import static io.rptun.core.rpmsg.RpmsgTestSupport.into;
import static io.rptun.core.rpmsg.RpmsgTestSupport.take;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.virtio.VirtqueuePort;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A batch: many messages written in place, one publication, nothing lost or reordered on any path. */
class RpmsgBatchSendTest {
    private static final int NUM = 16;

    /** Writes consecutive ints from {@code next} up to {@code end}, one per message. */
    private static final class Counter implements RpmsgBatchWriter {
        int next;
        final int end;
        int calls;

        Counter(int from, int end) {
            this.next = from;
            this.end = end;
        }

        @Override
        public int writeNext(MemorySegment payload) {
            calls++;
            if (next == end) {
                return NO_MORE;
            }
            payload.set(ValueLayout.JAVA_INT_UNALIGNED, 0, next++);
            return 4;
        }
    }

    private static int intOf(byte[] payload) {
        return MemorySegment.ofArray(payload).get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    private static VirtqueuePort tx(RpmsgDevice device) {
        return Objects.requireNonNull(device.readyLinkOrNull()).tx();
    }

    @ParameterizedTest(name = "from the {0}")
    @EnumSource(RpmsgDevice.Role.class)
    void aBatchArrivesInOrderAfterOnePublication(RpmsgDevice.Role from) throws Exception {
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(NUM)) {
            BlockingQueue<byte[]> atHost = new LinkedBlockingQueue<>();
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = bind(loop, "batch", into(atHost), into(atRemote));
            boolean host = from == RpmsgDevice.Role.HOST;
            RpmsgEndpoint sender = host ? pair.host() : pair.remote();
            BlockingQueue<byte[]> received = host ? atRemote : atHost;
            // Warm the pool: buffers the host has not carved yet come from the heap on first use.
            for (int i = 0; i < NUM; i++) {
                sender.send(new byte[] {1, 2, 3, 4});
                take(received);
            }
            long sentBefore = sender.device().stats().sent();
            long publishesBefore = awaitQuiet(tx(sender.device()));
            long kicksBefore = tx(sender.device()).kicks();

            assertThat(sender.trySendBatch(new Counter(100, 108), 8)).isEqualTo(8);

            assertThat(tx(sender.device()).publishes() - publishesBefore).as("index stores for the batch").isEqualTo(1);
            assertThat(tx(sender.device()).kicks() - kicksBefore).as("kicks for the batch").isLessThanOrEqualTo(1);
            for (int i = 100; i < 108; i++) {
                assertThat(intOf(take(received))).isEqualTo(i);
            }
            assertThat(sender.device().stats().sent() - sentBefore).isEqualTo(8);
        }
    }

    /** The port's publication count once nobody else is publishing (the peer returns buffers on its own). */
    private static long awaitQuiet(VirtqueuePort port) throws InterruptedException {
        long seen = port.publishes();
        while (true) {
            Thread.sleep(20);
            long now = port.publishes();
            if (now == seen) {
                return now;
            }
            seen = now;
        }
    }

    @Test
    void aBatchStopsAtTheFreeBuffersAndTheRestGoesWhenTheyComeBack() throws Exception {
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = bind(loop, "batch", ignore(), into(atRemote));
            pair.remote().pauseDelivery(); // the remote keeps every buffer it receives: the host's TX runs dry
            Counter writer = new Counter(0, 3 * NUM);
            // One per TX buffer: the buffer of the host's name-service message may still be on its way back.
            int first = 0;
            long until = System.nanoTime() + WAIT.toNanos();
            while (first < NUM && System.nanoTime() < until) {
                first += pair.host().trySendBatch(writer, 3 * NUM - first);
            }
            assertThat(first).as("one per TX buffer").isEqualTo(NUM);
            assertThat(pair.host().trySendBatch(writer, 3 * NUM)).as("none free").isZero();
            pair.remote().resumeDelivery();
            int sent = first;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (sent < 3 * NUM && System.nanoTime() < deadline) {
                sent += pair.host().trySendBatch(writer, 3 * NUM - sent);
                Thread.onSpinWait();
            }
            assertThat(sent).isEqualTo(3 * NUM);
            for (int i = 0; i < 3 * NUM; i++) {
                assertThat(intOf(take(atRemote))).isEqualTo(i);
            }
        }
    }

    @Test
    void noMoreStopsTheBatchAndKeepsTheBuffer() throws Exception {
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(NUM)) {
            BlockingQueue<byte[]> atHost = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = bind(loop, "batch", into(atHost), ignore());
            Counter writer = new Counter(0, 3);
            assertThat(pair.remote().trySendBatch(writer, NUM)).isEqualTo(3);
            assertThat(writer.calls).as("three messages and the NO_MORE").isEqualTo(4);
            for (int i = 0; i < 3; i++) {
                assertThat(intOf(take(atHost))).isEqualTo(i);
            }
            Counter none = new Counter(0, 0);
            assertThat(pair.remote().trySendBatch(none, 0)).isZero();
            assertThat(none.calls).as("max 0 calls nothing").isZero();
            assertThat(pair.remote().trySendBatch(none, NUM)).isZero();
            // Every buffer is still usable: a full ring's worth goes out.
            assertThat(sendAllOf(pair.remote(), new Counter(10, 10 + NUM))).isEqualTo(NUM);
            for (int i = 10; i < 10 + NUM; i++) {
                assertThat(intOf(take(atHost))).isEqualTo(i);
            }
        }
    }

    private static int sendAllOf(RpmsgEndpoint ep, Counter writer) {
        int sent = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (writer.next < writer.end && System.nanoTime() < deadline) {
            sent += ep.trySendBatch(writer, writer.end - writer.next);
        }
        return sent;
    }

    @ParameterizedTest(name = "the writer {0}")
    @EnumSource(Failure.class)
    void aFailingWriterSendsWhatCameBeforeAndLosesNoBuffer(Failure failure) throws Exception {
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = bind(loop, "batch", ignore(), into(atRemote));
            AtomicInteger n = new AtomicInteger();
            RpmsgBatchWriter writer = payload -> {
                int i = n.getAndIncrement();
                if (i == 2) {
                    return switch (failure) {
                        case THROWS -> throw new IllegalStateException("writer failed at " + i);
                        case NEGATIVE -> -7;
                        case TOO_LONG -> (int) payload.byteSize() + 1;
                    };
                }
                payload.set(ValueLayout.JAVA_INT_UNALIGNED, 0, i);
                return 4;
            };
            switch (failure) {
                case THROWS -> assertThatThrownBy(() -> pair.host().trySendBatch(writer, NUM))
                        .isInstanceOf(IllegalStateException.class);
                case NEGATIVE -> assertThatThrownBy(() -> pair.host().trySendBatch(writer, NUM))
                        .isInstanceOf(IllegalArgumentException.class);
                case TOO_LONG -> assertReason(() -> pair.host().trySendBatch(writer, NUM), Reason.PAYLOAD_TOO_LARGE);
            }
            assertThat(intOf(take(atRemote))).isZero();
            assertThat(intOf(take(atRemote))).isEqualTo(1);
            assertThat(atRemote.poll(50, TimeUnit.MILLISECONDS)).as("nothing of the failed message").isNull();
            assertThat(sendAllOf(pair.host(), new Counter(100, 100 + 3 * NUM))).isEqualTo(3 * NUM);
            for (int i = 100; i < 100 + 3 * NUM; i++) {
                assertThat(intOf(take(atRemote))).isEqualTo(i);
            }
            assertThat(loop.host().state()).isEqualTo(RpmsgDevice.State.READY);
        }
    }

    enum Failure { THROWS, NEGATIVE, TOO_LONG }

    @Test
    void aDestroyedEndpointOrABadMaxIsRefusedBeforeTheWriterRuns() throws Exception {
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(NUM)) {
            RpmsgTestSupport.Pair pair = bind(loop, "batch", ignore(), ignore());
            Counter writer = new Counter(0, 5);
            assertThatThrownBy(() -> pair.host().trySendBatch(writer, -1)).isInstanceOf(IllegalArgumentException.class);
            pair.host().destroy();
            assertReason(() -> pair.host().trySendBatch(writer, 5), Reason.ENDPOINT_DESTROYED);
            assertThat(writer.calls).isZero();
        }
    }

    @Test
    void trySendAllCopiesInOrderAndRefusesAnOversizedMessageBeforeSendingAny() throws Exception {
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = bind(loop, "batch", ignore(), into(atRemote));
            List<MemorySegment> messages = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                messages.add(MemorySegment.ofArray(new byte[] {(byte) i, (byte) (i + 1)}));
            }
            assertThat(pair.host().trySendAll(messages, 1)).isEqualTo(4);
            for (int i = 1; i < 5; i++) {
                assertThat(take(atRemote)).containsExactly((byte) i, (byte) (i + 1));
            }
            messages.add(MemorySegment.ofArray(new byte[pair.host().maxPayload() + 1]));
            assertReason(() -> pair.host().trySendAll(messages, 0), Reason.PAYLOAD_TOO_LARGE);
            assertThat(atRemote.poll(50, TimeUnit.MILLISECONDS)).isNull();
        }
    }

    @Test
    void batchesAndSingleSendsFromManyThreadsKeepEachSendersOrder() throws Exception {
        int perSender = 20_000;
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(NUM)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = bind(loop, "batch", ignore(), into(atRemote));
            AtomicReference<Throwable> failed = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(3);
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < 2; s++) {
                int base = s * 1_000_000;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        Counter w = new Counter(base, base + perSender);
                        while (w.next < w.end) {
                            if (pair.host().trySendBatch(w, 1 + (w.next % 7)) == 0) {
                                Thread.onSpinWait();
                            }
                        }
                    } catch (Throwable e) {
                        failed.set(e);
                    } finally {
                        done.countDown();
                    }
                }));
            }
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < perSender; i++) {
                        pair.host().send(MemorySegment.ofArray(new int[] {2_000_000 + i}), WAIT);
                    }
                } catch (Throwable e) {
                    failed.set(e);
                } finally {
                    done.countDown();
                }
            }));
            int[] next = {0, 1_000_000, 2_000_000};
            for (int i = 0; i < 3 * perSender; i++) {
                int v = intOf(take(atRemote));
                int sender = v / 1_000_000;
                assertThat(v).as("sender %d's next", sender).isEqualTo(next[sender]);
                next[sender]++;
            }
            assertThat(done.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(failed.get()).isNull();
            assertThat(atRemote.poll(50, TimeUnit.MILLISECONDS)).isNull();
        }
    }
}
