package io.rptun.core.virtio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.SharedSegments.Kind;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A driver SEND port and a device RECEIVE port on one vring, each side on its own thread(s), moving
 * millions of buffers that carry {@code (sender, seq)}: the device checks that every sender's sequence
 * arrives complete, once and in order, across hundreds of wrap-arounds of the u16 indices. With four
 * senders the combining publisher must batch (fewer index stores than buffers). No timing assertions:
 * the machine is small and noisy; the timeouts only keep a bug from hanging the build.
 */
class VirtqueuePortStressTest {
    private static final int NUM = 256;
    private static final long ALIGN = 0x1000;
    private static final long BUFFERS_OFFSET = 0x4000;
    private static final int BUFFER_SIZE = 64;
    private static final long SEGMENT_SIZE = 0x10000;
    private static final int MESSAGE_LENGTH = 16;
    private static final long POLLED_TOTAL = 10_000_000;
    private static final long NOTIFIED_TOTAL = 1_000_000;
    /** A lone sender stages this many buffers per flush; four senders each submit every buffer. */
    private static final int LONE_SENDER_BATCH = 8;
    private static final Duration TEST_TIMEOUT = Duration.ofMinutes(3);
    private static final long RUN_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(160);
    /**
     * The polled runs' time budget: ten million buffers take about 25 s on a quiet machine, but several
     * times that when other work takes the two cores, so past this the senders stop, the device takes what
     * they sent, and the run is checked as far as it got (with a floor on the wrap-arounds it covered).
     */
    private static final long POLLED_BUDGET_NANOS = TimeUnit.SECONDS.toNanos(45);
    private static final long MIN_WRAP_AROUNDS = 20;
    private static final long NO_BUDGET = Long.MAX_VALUE;
    private static final long PARK_SAFETY_NET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    static Stream<Arguments> segmentsAndSenders() {
        return Stream.of(Kind.values()).flatMap(kind -> Stream.of(Arguments.of(kind, 1), Arguments.of(kind, 4)));
    }

    @ParameterizedTest(name = "{0}, {1} sender(s)")
    @MethodSource("segmentsAndSenders")
    void tenMillionPolledBuffersArriveOnceAndInOrderPerSenderAcrossManyU16WrapArounds(Kind kind, int senders) {
        Result r = assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SharedSegments.Segment segment = kind.open(SEGMENT_SIZE)) {
                return new Run(segment.memory(), senders, POLLED_TOTAL, false, false, POLLED_BUDGET_NANOS).run();
            }
        });
        r.print("polled " + kind + ", " + senders + " sender(s)");
        assertThat(r.total() / 65536).as("u16 wrap-arounds within the time budget").isGreaterThanOrEqualTo(
                MIN_WRAP_AROUNDS);
        if (senders > 1) {
            assertThat(r.txPublishes).as("driver index stores with %d submitting threads and a doorbell that"
                    + " yields (combining)", senders).isLessThan(r.total());
        } else {
            assertThat(r.txPublishes).as("driver index stores for a sender flushing every %d", LONE_SENDER_BATCH)
                    .isLessThanOrEqualTo(r.total());
        }
        assertThat(r.txKicks).as("Notifier.NONE still counts the kicks the device asked for")
                .isLessThanOrEqualTo(r.txPublishes);
    }

    @ParameterizedTest(name = "{0}, {1} sender(s)")
    @MethodSource("segmentsAndSenders")
    void aMillionBuffersWithParkingThreadsWokenOnlyByKicksLoseNoWakeup(Kind kind, int senders) {
        Result r = assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SharedSegments.Segment segment = kind.open(SEGMENT_SIZE)) {
                return new Run(segment.memory(), senders, NOTIFIED_TOTAL, true, false, NO_BUDGET).run();
            }
        });
        r.print("notified " + kind + ", " + senders + " sender(s)");
        assertThat(r.txKicks).as("driver kicks").isLessThanOrEqualTo(r.txPublishes).isPositive();
        assertThat(r.rxKicks).as("device kicks").isLessThanOrEqualTo(r.rxPublishes).isPositive();
        assertThat(r.lostWakeups).as("parks that timed out with work waiting and no kick").isZero();
    }

    /**
     * {@link VirtqueuePort#hasInbound()} is documented as a hint for pollers on a port "any number of
     * threads may use at once"; a monitoring thread asking it must not disturb the thread receiving.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void aThreadPollingHasInboundOnTheDevicePortDoesNotDisturbTheReceivingThread(Kind kind) {
        Result r = assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SharedSegments.Segment segment = kind.open(SEGMENT_SIZE)) {
                return new Run(segment.memory(), 1, 500_000, false, true, NO_BUDGET).run();
            }
        });
        r.print("polled " + kind + " with a hasInbound() watcher");
    }

    /**
     * The free pool alone, no ring traffic: four threads acquire and release as fast as they can, so at
     * least num - 4 buffers are free at any moment. A thread preempted in the middle of taking a buffer out
     * of the pool must not make a release by another thread drop its buffer, and acquire() must not say
     * "none free" while hundreds are.
     */
    @Test
    void buffersAcquiredAndReleasedByManyThreadsAreNeverLost() {
        assertTimeoutPreemptively(TEST_TIMEOUT, () -> {
            try (SharedSegments.Segment segment = Kind.HEAP.open(SEGMENT_SIZE)) {
                MemorySegment memory = segment.memory();
                Vring vring = Vring.of(memory, NUM, ALIGN);
                VirtqueuePort tx = VirtqueuePort.driver("pool.tx", vring,
                        SharedRegion.of(memory, 0, AddressEnvironment.identity()), Mode.SEND, Notifier.NONE);
                for (int i = 0; i < NUM; i++) {
                    tx.release(tx.addBuffer(BUFFERS_OFFSET + (long) BUFFER_SIZE * i, BUFFER_SIZE));
                }
                AtomicReference<Throwable> failure = new AtomicReference<>();
                AtomicLong misses = new AtomicLong();
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    threads.add(Thread.ofPlatform().name("pool-" + t).start(() -> {
                        try {
                            for (int i = 0; i < 2_000_000; i++) {
                                VringBuffer b = tx.acquire();
                                if (b == null) {
                                    misses.incrementAndGet();
                                } else {
                                    tx.release(b);
                                }
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }));
                }
                for (Thread t : threads) {
                    t.join();
                }
                assertThat(failure.get()).isNull();
                System.out.printf("pool: %,d acquire() calls found no buffer; %d of %d buffers left in the pool%n",
                        misses.get(), tx.freeBuffers(), NUM);
                SoftAssertions soft = new SoftAssertions();
                soft.assertThat(tx.freeBuffers()).as("buffers in the free pool after every thread released its own")
                        .isEqualTo(NUM);
                soft.assertThat(misses.get()).as("acquire() calls that returned null while at least %d of %d"
                        + " buffers were free", NUM - 4, NUM).isZero();
                soft.assertAll();
            }
        });
    }

    static Stream<Kind> kinds() {
        return Stream.of(Kind.values());
    }

    /** What a run measured, for the report and the assertions that depend on the case. */
    record Result(long total, long nanos, long txPublishes, long txPublished, long txKicks, long rxPublishes,
            long rxPublished, long rxKicks, long parks, long safetyNetTimeouts, long lostWakeups, long watcherCalls) {
        void print(String name) {
            System.out.printf("%s: %,d buffers in %.2f s (%,.0f/s); driver %,d publishes (%.1f buffers each),"
                            + " %,d kicks; device %,d publishes (%.1f each), %,d kicks; parks %,d (%,d ran into the safety net),"
                            + " lost wakeups %d%s%n",
                    name, total, nanos / 1e9, total / (nanos / 1e9), txPublishes, (double) txPublished / txPublishes,
                    txKicks, rxPublishes, (double) rxPublished / rxPublishes, rxKicks, parks, safetyNetTimeouts, lostWakeups,
                    watcherCalls > 0 ? String.format(", hasInbound() calls %,d", watcherCalls) : "");
        }
    }

    /** One run: the threads, the ports, and everything checked after they stop. */
    private static final class Run {
        private final int senders;
        private final long total;
        private final long perSender;
        private final boolean notified;
        private final Vring vring;
        private final VirtqueuePort tx;
        private final VirtqueuePort rx;
        private final Thread device;
        private final Thread[] senderThreads;
        private final Thread watcher;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicLong kicksToDevice = new AtomicLong();
        private final AtomicLong kicksToSenders = new AtomicLong();
        private final AtomicLong parks = new AtomicLong();
        private final AtomicLong safetyNetTimeouts = new AtomicLong();
        private final AtomicLong lostWakeups = new AtomicLong();
        private final long[] expected;
        private final long[] sent;
        private final VirtqueuePort.Receiver check = this::check;
        private final long budgetNanos;
        private final AtomicInteger sendersDone = new AtomicInteger();
        private volatile boolean stop;
        /** Set once the time budget has passed: the senders stop after the buffer in hand. */
        private volatile boolean wrapUp;
        private volatile boolean deviceDone;
        private long received;
        private long watcherCalls;

        Run(MemorySegment memory, int senders, long total, boolean notified, boolean withWatcher, long budgetNanos) {
            this.budgetNanos = budgetNanos;
            this.senders = senders;
            this.total = total;
            this.perSender = total / senders;
            this.notified = notified;
            if (perSender * senders != total) {
                throw new IllegalArgumentException("total=" + total + " senders=" + senders);
            }
            this.expected = new long[senders];
            this.sent = new long[senders];
            SharedRegion region = SharedRegion.of(memory, 0, AddressEnvironment.identity());
            vring = Vring.of(memory, NUM, ALIGN);
            vring.clear();
            device = new Thread(this::device, "device");
            senderThreads = new Thread[senders];
            for (int s = 0; s < senders; s++) {
                int id = s;
                senderThreads[s] = new Thread(() -> sender(id), "sender-" + s);
            }
            watcher = withWatcher ? new Thread(this::watch, "hasInbound-watcher") : null;
            Notifier toDevice;
            if (notified) {
                toDevice = () -> {
                    kicksToDevice.incrementAndGet();
                    LockSupport.unpark(device);
                };
            } else if (senders > 1) {
                // A doorbell costs something (a syscall, an MMIO write): here it gives up the CPU, so on a
                // two-core machine the other senders really do submit while the ring is owned.
                toDevice = Thread::yield;
            } else {
                toDevice = Notifier.NONE;
            }
            Notifier toSenders = notified ? () -> {
                kicksToSenders.incrementAndGet();
                for (Thread t : senderThreads) {
                    LockSupport.unpark(t);
                }
            } : Notifier.NONE;
            tx = VirtqueuePort.driver("stress.tx", vring, region, Mode.SEND, toDevice);
            for (int i = 0; i < NUM; i++) {
                tx.release(tx.addBuffer(BUFFERS_OFFSET + (long) BUFFER_SIZE * i, BUFFER_SIZE));
            }
            rx = VirtqueuePort.device("stress.rx", vring, region, Mode.RECEIVE, toSenders);
        }

        Result run() throws InterruptedException {
            long start = System.nanoTime();
            List<Thread> all = new ArrayList<>(List.of(senderThreads));
            all.add(device);
            if (watcher != null) {
                all.add(watcher);
            }
            try {
                all.forEach(Thread::start);
                joining:
                for (Thread t : all) {
                    while (true) {
                        long elapsed = System.nanoTime() - start;
                        if (!wrapUp && elapsed >= budgetNanos) {
                            wrapUp = true;
                        }
                        long left = (wrapUp ? RUN_DEADLINE_NANOS : Math.min(budgetNanos, RUN_DEADLINE_NANOS)) - elapsed;
                        if (left <= 0) {
                            stop = true;
                            break joining;
                        }
                        if (t.join(Duration.ofNanos(left))) {
                            break;
                        }
                    }
                }
            } finally {
                stop = true;
                for (Thread t : all) {
                    LockSupport.unpark(t);
                    t.join(Duration.ofSeconds(10));
                }
            }
            long nanos = System.nanoTime() - start;
            Throwable thrown = failure.get();
            if (thrown != null) {
                throw new AssertionError("run failed after " + received + " buffers; tx=" + tx + " rx=" + rx, thrown);
            }
            // The state, not isAlive(): join(Duration) returns once a thread is TERMINATED, a moment before
            // isAlive() turns false.
            assertThat(all).as("threads still running").allMatch(t -> t.getState() == Thread.State.TERMINATED);
            long done = wrapUp ? sentTotal() : total;
            assertThat(received).as("buffers received (deadline %d s%s)", TimeUnit.NANOSECONDS.toSeconds(
                    RUN_DEADLINE_NANOS), wrapUp ? ", stopped at the time budget" : "").isEqualTo(done);
            for (int s = 0; s < senders; s++) {
                if (!wrapUp) {
                    assertThat(sent[s]).as("buffers sent by sender %d", s).isEqualTo(perSender);
                }
                assertThat(expected[s]).as("next sequence number expected from sender %d", s).isEqualTo(sent[s]);
            }
            assertThat(tx.isBroken()).as("driver broken by %s", tx.brokenBy()).isFalse();
            assertThat(rx.isBroken()).as("device broken by %s", rx.brokenBy()).isFalse();
            assertThat(tx.unpublished()).as("driver handles left unpublished").isZero();
            assertThat(rx.unpublished()).as("device handles left unpublished").isZero();
            assertThat(tx.published()).as("buffers the driver published").isEqualTo(done);
            assertThat(rx.published()).as("buffers the device returned").isEqualTo(done);
            assertThat(VringAvailLayout.idxAcquire(vring.memory(), vring.avail())).as("avail.idx")
                    .isEqualTo((int) (done & 0xFFFF));
            assertThat(VringUsedLayout.idxAcquire(vring.memory(), vring.used())).as("used.idx")
                    .isEqualTo((int) (done & 0xFFFF));
            assertThat(((VirtqueueDevice) rx.queue()).held()).as("chains the device still holds").isZero();
            assertEveryBufferComesBack();
            return new Result(done, nanos, tx.publishes(), tx.published(), tx.kicks(), rx.publishes(),
                    rx.published(), rx.kicks(), parks.get(), safetyNetTimeouts.get(), lostWakeups.get(), watcherCalls);
        }

        /** What the senders sent; exact once every sender has finished ({@link #sendersDone} orders it). */
        private long sentTotal() {
            long sum = 0;
            for (long n : sent) {
                sum += n;
            }
            return sum;
        }

        /** After the run the driver can acquire each of its NUM buffers exactly once: no handle leaked. */
        private void assertEveryBufferComesBack() {
            Set<VringBuffer> back = Collections.newSetFromMap(new IdentityHashMap<>());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (back.size() < NUM && System.nanoTime() < deadline) {
                VringBuffer b = tx.acquire();
                if (b != null) {
                    assertThat(back.add(b)).as("handle acquired twice: %s", b).isTrue();
                }
            }
            assertThat(back).as("buffers the driver got back (driver in flight %d, free pool %d)",
                    ((VirtqueueDriver<?>) tx.queue()).inFlight(), tx.freeBuffers()).hasSize(NUM);
            assertThat(tx.acquire()).as("a buffer beyond num").isNull();
            assertThat(((VirtqueueDriver<?>) tx.queue()).inFlight()).as("driver buffers in flight").isZero();
            back.forEach(tx::release);
        }

        private void sender(int id) {
            try {
                int batch = senders == 1 ? LONE_SENDER_BATCH : 1;
                int staged = 0;
                int idle = 0;
                long seq = 0;
                while (seq < perSender && !wrapUp) {
                    if (stop) {
                        return;
                    }
                    VringBuffer b = tx.acquire();
                    if (b == null) {
                        if (staged > 0) {
                            tx.flush();
                            staged = 0;
                        }
                        idle = senderIdle(idle);
                        continue;
                    }
                    idle = 0;
                    MemorySegment m = b.segment();
                    m.set(INT, 0, id);
                    m.set(INT, 4, checkWord(id, seq));
                    m.set(LONG, 8, seq);
                    b.length(MESSAGE_LENGTH);
                    if (batch == 1) {
                        tx.submit(b);
                    } else {
                        tx.stage(b);
                        if (++staged == batch) {
                            tx.flush();
                            staged = 0;
                        }
                    }
                    seq++;
                    sent[id] = seq;
                }
                if (staged > 0) {
                    tx.flush();
                }
                sendersDone.incrementAndGet();
            } catch (Throwable t) {
                fail(t);
            }
        }

        private int senderIdle(int idle) {
            if (!notified) {
                return pollIdle(idle);
            }
            long kicks = kicksToSenders.get();
            if (!tx.enableNotifications()) {
                park(kicks, kicksToSenders, tx);
            }
            if (senders == 1) {
                // Several senders leave notifications on: one turning them off could strand another asleep.
                tx.disableNotifications();
            }
            return 0;
        }

        private void device() {
            try {
                int idle = 0;
                while (received < total && !stop
                        && !(sendersDone.get() == senders && received == sentTotal())) {
                    if (rx.receive(check, NUM) > 0) {
                        idle = 0;
                        continue;
                    }
                    if (!notified) {
                        idle = pollIdle(idle);
                        continue;
                    }
                    long kicks = kicksToDevice.get();
                    if (!rx.enableNotifications()) {
                        park(kicks, kicksToDevice, rx);
                    }
                    rx.disableNotifications();
                }
            } catch (Throwable t) {
                fail(t);
            } finally {
                deviceDone = true;
            }
        }

        /** The device's receiver: checks each buffer and gives it straight back. */
        private void check(VringBuffer b) {
            MemorySegment m = b.segment();
            int id = m.get(INT, 0);
            int word = m.get(INT, 4);
            long seq = m.get(LONG, 8);
            if (b.length() != MESSAGE_LENGTH || id < 0 || id >= senders || word != checkWord(id, seq)
                    || seq != expected[id]) {
                fail(new AssertionError("after " + received + " buffers: got sender=" + id + " seq=" + seq
                        + " check=" + word + " length=" + b.length() + " from " + b + ", expected seq "
                        + (id >= 0 && id < senders ? expected[id] : -1)));
            } else {
                expected[id]++;
            }
            received++;
            rx.submit(b);
        }

        private void watch() {
            long calls = 0;
            try {
                while (!stop && !deviceDone) {
                    rx.hasInbound();
                    calls++;
                }
            } catch (Throwable t) {
                fail(t);
            } finally {
                watcherCalls = calls;
            }
        }

        /**
         * Parks until a kick, or the safety net. A park that runs into the safety net with no kick while
         * the peer has already handed over work is a lost wakeup (checked again after a pause, so a kick
         * that was on its way does not count).
         */
        private void park(long kicksBefore, AtomicLong kickCounter, VirtqueuePort port) {
            parks.incrementAndGet();
            long start = System.nanoTime();
            LockSupport.parkNanos(this, PARK_SAFETY_NET_NANOS);
            if (stop || System.nanoTime() - start < PARK_SAFETY_NET_NANOS) {
                return;
            }
            safetyNetTimeouts.incrementAndGet();
            if (kickCounter.get() != kicksBefore || !inboundFor(port)) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            if (kickCounter.get() == kicksBefore) {
                lostWakeups.incrementAndGet();
            }
        }

        private boolean inboundFor(VirtqueuePort port) {
            // A lone sender is the only thread on the driver port, so its hint is exact enough.
            return (port == rx || senders == 1) && port.hasInbound();
        }

        private static int pollIdle(int idle) {
            if (idle < 16) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
            return idle + 1;
        }

        private void fail(Throwable t) {
            failure.compareAndSet(null, t);
            stop = true;
        }

        private static int checkWord(int id, long seq) {
            return (int) (seq * 0x9E3779B97F4A7C15L >>> 32) ^ id;
        }
    }
}
