package io.rptun.core.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The peer is untrusted, and here it is actively hostile: a driver thread sends through a
 * {@link VirtqueuePort} (SEND), a device thread receives through another (RECEIVE), and a third thread
 * writes random values into the live vring (indices, slots, descriptors, used elements, flags). Whatever
 * it writes, both sides must stop within a bounded time, never with anything but a
 * {@link VringException}, and the device must never be handed a buffer outside the shared segment.
 *
 * <p>Each run logs its seed; to replay one, copy it into {@link #SEEDS}. {@code -Drptun.hostile.runs=N}
 * runs N fresh seeds instead (a soak).
 */
class HostilePeerTest {
    private static final int NUM = 16;
    private static final int BUFFER_SIZE = 128;
    private static final long ALIGN = 0x1000;
    private static final long BUFFERS = 0x2000;
    private static final long SIZE = BUFFERS + (long) NUM * BUFFER_SIZE;
    /** How long an untargeted run lets traffic flow. */
    private static final Duration TRAFFIC = Duration.ofSeconds(1);
    /** How long a targeted run may take to break its target; in practice it takes milliseconds. */
    private static final Duration TARGET_LIMIT = Duration.ofSeconds(10);
    /** How long the threads have to stop once told: far more than any call on a port can take. */
    private static final Duration STOP_LIMIT = Duration.ofSeconds(10);

    private static final long[] SEEDS = {
        0x5EED_0001L, 0x5EED_0002L, 0x5EED_0003L, 0x5EED_0004L, 0x5EED_0005L,
        0x5EED_0006L, 0x5EED_0007L, 0x5EED_0008L, 0x5EED_0009L, 0x5EED_000AL,
    };

    private static final AtomicInteger UNTARGETED_RUNS = new AtomicInteger();
    private static final AtomicInteger UNTARGETED_BREAKS = new AtomicInteger();

    /** Where the shared memory lives. */
    enum Memory { HEAP, NATIVE }

    /** A field of the vring the hostile thread may scribble on. */
    enum Field {
        DESC_ADDR, DESC_LEN, DESC_FLAGS, DESC_NEXT,
        AVAIL_FLAGS, AVAIL_IDX, AVAIL_RING, USED_EVENT,
        USED_FLAGS, USED_IDX, USED_ID, USED_LEN, AVAIL_EVENT,
        ANY_BYTE;

        /** Every field the device reads (and only the driver writes). */
        static final Set<Field> DEVICE_READS = EnumSet.of(DESC_ADDR, DESC_LEN, DESC_FLAGS, DESC_NEXT, AVAIL_IDX,
                AVAIL_RING, AVAIL_FLAGS);
        /** Every field the driver reads (and only the device writes). */
        static final Set<Field> DRIVER_READS = EnumSet.of(USED_IDX, USED_ID, USED_LEN, USED_FLAGS);
    }

    /** What a run found. */
    record Outcome(@Nullable Throwable driverError, @Nullable Throwable deviceError, long sent, long received,
            long writes, List<String> badBuffers, List<Throwable> receiverErrors,
            VirtqueuePort tx, VirtqueuePort rx) {
    }

    /** The fixed seeds, or with {@code -Drptun.hostile.runs=N} that many fresh ones (a soak run). */
    static Stream<Arguments> untargeted() {
        int fresh = Integer.getInteger("rptun.hostile.runs", 0);
        long[] seeds = fresh > 0 ? new Random().longs(fresh).toArray() : SEEDS;
        List<Arguments> runs = new ArrayList<>();
        for (int i = 0; i < seeds.length; i++) {
            runs.add(Arguments.of(seeds[i], i % 2 == 0 ? Memory.HEAP : Memory.NATIVE));
        }
        return runs.stream();
    }

    static Stream<Arguments> targeted() {
        List<Arguments> runs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            runs.add(Arguments.of(0x7A26_0000L + i, i % 2 == 0 ? Memory.NATIVE : Memory.HEAP));
        }
        return runs.stream();
    }

    @ParameterizedTest(name = "seed {0} in {1} memory")
    @MethodSource("untargeted")
    void aHostileWriterAnywhereInTheRingEndsInATypedErrorOrNoneAndNeverAnythingElse(long seed, Memory memory)
            throws InterruptedException {
        Outcome o = run(seed, memory, EnumSet.allOf(Field.class), null);

        // Either a side broke with a VringException, or the writes happened to be harmless and both
        // sides ran until told to stop; never anything else.
        assertNoOtherFailure(o);
        boolean broke = o.driverError() != null || o.deviceError() != null;
        UNTARGETED_RUNS.incrementAndGet();
        if (broke) {
            UNTARGETED_BREAKS.incrementAndGet();
        }
    }

    @ParameterizedTest(name = "seed {0} in {1} memory")
    @MethodSource("targeted")
    void aHostileWriterOfWhatTheDeviceReadsBreaksTheDevice(long seed, Memory memory) throws InterruptedException {
        Outcome o = run(seed, memory, Field.DEVICE_READS, Mode.RECEIVE);

        assertNoOtherFailure(o);
        assertThat(o.deviceError()).isInstanceOf(VringException.class).isSameAs(o.rx().brokenBy());
        assertThat(o.rx().isBroken()).isTrue();
    }

    @ParameterizedTest(name = "seed {0} in {1} memory")
    @MethodSource("targeted")
    void aHostileWriterOfWhatTheDriverReadsBreaksTheDriver(long seed, Memory memory)
            throws InterruptedException {
        Outcome o = run(seed, memory, Field.DRIVER_READS, Mode.SEND);

        assertNoOtherFailure(o);
        assertThat(o.driverError()).isInstanceOf(VringException.class).isSameAs(o.tx().brokenBy());
        assertThat(o.tx().isBroken()).isTrue();
    }

    @AfterAll
    static void theHostileWriterReallyBrokeThingsInMostUntargetedRuns() {
        if (UNTARGETED_RUNS.get() >= SEEDS.length) {
            assertThat(UNTARGETED_BREAKS.get()).isGreaterThanOrEqualTo(UNTARGETED_RUNS.get() / 2);
        }
    }

    /** Each side ended with nothing or a VringException that is the one its port is broken by. */
    private static void assertNoOtherFailure(Outcome o) {
        assertThat(o.receiverErrors()).as("exceptions inside the receiver").isEmpty();
        assertThat(o.badBuffers()).as("buffers handed to the device outside the segment").isEmpty();
        assertSide("driver", o.driverError(), o.tx());
        assertSide("device", o.deviceError(), o.rx());
    }

    private static void assertSide(String side, @Nullable Throwable error, VirtqueuePort port) {
        if (error == null) {
            assertThat(port.isBroken()).as("%s port broken without its thread seeing it", side).isFalse();
            return;
        }
        if (!(error instanceof VringException)) {
            throw new AssertionError(side + " failed with an untyped " + error, error);
        }
        assertThat(port.brokenBy()).as(side + " port broken by what its thread saw").isSameAs(error);
    }

    /**
     * Runs driver, device and hostile threads. With a {@code target} side, runs until that side's port
     * is broken (or {@link #TARGET_LIMIT}); without, for {@link #TRAFFIC} or until both sides ended.
     */
    private static Outcome run(long seed, Memory memory, Set<Field> fields, @Nullable Mode target)
            throws InterruptedException {
        @Nullable Arena arena = memory == Memory.NATIVE ? Arena.ofShared() : null;
        MemorySegment shm = arena != null ? arena.allocate(SIZE, ALIGN)
                : MemorySegment.ofArray(new long[(int) (SIZE / Long.BYTES)]);
        SharedRegion region = SharedRegion.of(shm, 0, AddressEnvironment.identity());
        Vring vring = Vring.of(shm, NUM, ALIGN);
        vring.clear();
        VirtqueuePort tx = VirtqueuePort.driver("hostile.tx", vring, region, Mode.SEND, Notifier.NONE);
        for (int i = 0; i < NUM; i++) {
            tx.release(tx.addBuffer(BUFFERS + (long) i * BUFFER_SIZE, BUFFER_SIZE));
        }
        VirtqueuePort rx = VirtqueuePort.device("hostile.tx", vring, region, Mode.RECEIVE, Notifier.NONE);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        AtomicLong received = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        Queue<String> badBuffers = new ConcurrentLinkedQueue<>();
        Queue<Throwable> receiverErrors = new ConcurrentLinkedQueue<>();
        Throwable[] errors = new Throwable[2];

        Thread driver = Thread.ofPlatform().daemon().name("hostile-test-driver").unstarted(() -> {
            try {
                long seq = 0;
                while (!stop.get()) {
                    VringBuffer b = tx.acquire();
                    if (b == null) {
                        Thread.yield();
                        continue;
                    }
                    b.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, seq++);
                    b.length(8);
                    tx.submit(b);
                    sent.incrementAndGet();
                }
            } catch (Throwable t) {
                errors[0] = t;
            }
        });
        VirtqueuePort.Receiver receiver = buffer -> {
            try {
                long offset = buffer.offset();
                long capacity = buffer.capacity();
                if (offset < 0 || capacity < 0 || offset > shm.byteSize() - capacity
                        || buffer.segment().byteSize() != capacity) {
                    badBuffers.add(buffer.toString());
                } else if (capacity >= Long.BYTES) {
                    buffer.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                }
                received.incrementAndGet();
                rx.submit(buffer);
            } catch (Throwable t) {
                receiverErrors.add(t);
            }
        };
        Thread device = Thread.ofPlatform().daemon().name("hostile-test-device").unstarted(() -> {
            try {
                while (!stop.get()) {
                    if (rx.receive(receiver, 32) == 0) {
                        Thread.yield();
                    }
                }
            } catch (Throwable t) {
                errors[1] = t;
            }
        });
        Thread hostile = Thread.ofPlatform().daemon().name("hostile-test-writer").unstarted(() -> {
            Random random = new Random(seed);
            Field[] allowed = fields.toArray(Field[]::new);
            // Let traffic flow first, so that the writes hit a ring in motion, with wrapped slots.
            long warmUp = 100 + random.nextInt(5_000);
            while (!stop.get() && received.get() < warmUp) {
                LockSupport.parkNanos(100_000);
            }
            while (!stop.get()) {
                corruptOnce(random, allowed, vring, shm.byteSize());
                writes.incrementAndGet();
                // Pauses from 1 us to 16 ms, log-uniform: bursts and long quiet stretches alike.
                LockSupport.parkNanos(1_000L << random.nextInt(15));
            }
        });

        driver.start();
        device.start();
        hostile.start();
        long deadline = System.nanoTime() + (target == null ? TRAFFIC : TARGET_LIMIT).toNanos();
        while (System.nanoTime() < deadline && (driver.isAlive() || device.isAlive())) {
            if (target == Mode.RECEIVE && rx.isBroken() || target == Mode.SEND && tx.isBroken()) {
                break;
            }
            Thread.sleep(2);
        }
        stop.set(true);
        for (Thread t : List.of(driver, device, hostile)) {
            // join's answer, not isAlive(): a thread is TERMINATED (and join returns true) a moment before
            // isAlive() turns false.
            if (!t.join(STOP_LIMIT)) {
                throw new AssertionError(t.getName() + " did not stop within " + STOP_LIMIT + " (seed 0x"
                        + Long.toHexString(seed) + "):\n" + stackOf(t));
            }
        }
        if (arena != null) {
            arena.close();
        }
        Outcome o = new Outcome(errors[0], errors[1], sent.get(), received.get(), writes.get(),
                List.copyOf(badBuffers), List.copyOf(receiverErrors), tx, rx);
        System.out.printf("hostile peer seed 0x%x, %s memory, fields %s: driver %s; device %s; %,d sent, "
                        + "%,d received, %,d hostile writes%n", seed, memory,
                fields.size() == Field.values().length ? "all" : fields, describe(o.driverError()),
                describe(o.deviceError()), o.sent(), o.received(), o.writes());
        return o;
    }

    private static String describe(@Nullable Throwable t) {
        if (t == null) {
            return "ran on";
        }
        return t instanceof VringException e ? e.reason() + " at " + e.index() + " (value " + e.value() + ")"
                : t.toString();
    }

    private static String stackOf(Thread t) {
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            sb.append("\tat ").append(e).append('\n');
        }
        return sb.toString();
    }

    /** One write of a value chosen to be plausible, borderline or absurd into one field. */
    private static void corruptOnce(Random r, Field[] allowed, Vring vring, long segmentSize) {
        MemorySegment m = vring.memory();
        int num = vring.num();
        Field field = allowed[r.nextInt(allowed.length)];
        int d = r.nextInt(num);
        int slot = r.nextInt(num);
        long desc = vring.desc(d);
        long avail = vring.avail();
        long used = vring.used();
        switch (field) {
            case DESC_ADDR -> m.set(ValueLayout.JAVA_LONG_UNALIGNED, desc + VringDescLayout.ADDR_OFFSET,
                    switch (r.nextInt(5)) {
                        case 0 -> BUFFERS + (long) r.nextInt(NUM) * BUFFER_SIZE;
                        case 1 -> segmentSize - r.nextInt(2 * BUFFER_SIZE);
                        case 2 -> r.nextInt((int) segmentSize);
                        case 3 -> -r.nextInt(64);
                        default -> r.nextLong();
                    });
            case DESC_LEN -> m.set(ValueLayout.JAVA_INT_UNALIGNED, desc + VringDescLayout.LEN_OFFSET,
                    switch (r.nextInt(4)) {
                        case 0 -> r.nextInt(BUFFER_SIZE + 2);
                        case 1 -> (int) segmentSize + r.nextInt(3) - 1;
                        case 2 -> -1 - r.nextInt(4);
                        default -> r.nextInt();
                    });
            case DESC_FLAGS -> u16(m, desc + VringDescLayout.FLAGS_OFFSET, r.nextBoolean() ? r.nextInt(8) : r.nextInt());
            case DESC_NEXT -> u16(m, desc + VringDescLayout.NEXT_OFFSET, smallOrAny(r, num));
            case AVAIL_FLAGS -> u16(m, avail + VringAvailLayout.FLAGS_OFFSET, r.nextInt(4));
            case AVAIL_IDX -> u16(m, avail + VringAvailLayout.IDX_OFFSET, nearOrAny(r, m, avail + VringAvailLayout.IDX_OFFSET, num));
            case AVAIL_RING -> u16(m, avail + VringAvailLayout.RING_OFFSET + 2L * slot, smallOrAny(r, num));
            case USED_EVENT -> u16(m, avail + VringAvailLayout.usedEventOffset(num), r.nextInt());
            case USED_FLAGS -> u16(m, used + VringUsedLayout.FLAGS_OFFSET, r.nextInt(4));
            case USED_IDX -> u16(m, used + VringUsedLayout.IDX_OFFSET, nearOrAny(r, m, used + VringUsedLayout.IDX_OFFSET, num));
            case USED_ID -> m.set(ValueLayout.JAVA_INT_UNALIGNED,
                    used + VringUsedLayout.RING_OFFSET + VringUsedLayout.ELEMENT_SIZE * slot, smallOrAny(r, num)
                            | (r.nextInt(8) == 0 ? r.nextInt() : 0));
            case USED_LEN -> m.set(ValueLayout.JAVA_INT_UNALIGNED, used + VringUsedLayout.RING_OFFSET
                    + VringUsedLayout.ELEMENT_SIZE * slot + VringUsedLayout.ELEMENT_LEN_OFFSET,
                    r.nextBoolean() ? r.nextInt(BUFFER_SIZE + 2) : r.nextInt());
            case AVAIL_EVENT -> u16(m, used + VringUsedLayout.availEventOffset(num), r.nextInt());
            case ANY_BYTE -> m.set(ValueLayout.JAVA_BYTE, r.nextLong(m.byteSize()), (byte) r.nextInt());
        }
    }

    private static void u16(MemorySegment m, long offset, int value) {
        m.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset, (short) value);
    }

    /** A descriptor index: mostly a valid one, sometimes just past the end, sometimes anything. */
    private static int smallOrAny(Random r, int num) {
        return switch (r.nextInt(4)) {
            case 0, 1 -> r.nextInt(num);
            case 2 -> num + r.nextInt(2);
            default -> r.nextInt(0x10000);
        };
    }

    /** An index near the one in memory (so it may look plausible), or anything. */
    private static int nearOrAny(Random r, MemorySegment m, long offset, int num) {
        int now = Short.toUnsignedInt(m.get(ValueLayout.JAVA_SHORT_UNALIGNED, offset));
        return r.nextInt(3) == 0 ? r.nextInt(0x10000) : now + r.nextInt(2 * num + 3) - num - 1;
    }
}
