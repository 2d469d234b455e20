package io.rptun.benchmarks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The other in-process limit: the least a copy-in ring over a {@link MemorySegment} can do. One producer,
 * one consumer, {@value #NUM} fixed slots of {@value #SLOT} bytes (length at 0, payload from 8), and two
 * indices on cache lines of their own: the producer copies the payload into the next slot and publishes
 * its index with a release store; the consumer reads it with an acquire load, reads every slot up to it
 * (checking the sequence numbers) and publishes its own index once per batch. Each side keeps a cached copy
 * of the other's index and reads the shared one only when the cache says full (producer) or empty
 * (consumer). No headers, no descriptors, no notifications: what is left is the copy and the cache-line
 * traffic, which any shared-memory transport pays too.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class SegmentRingOneWayBenchmark {
    static final int NUM = 256;
    static final long SLOT = 512;
    static final long HEAD = 0;
    static final long TAIL = 128;
    static final long SLOTS = 256;
    static final long SIZE = SLOTS + NUM * SLOT;
    private static final VarHandle INDEX = ValueLayout.JAVA_LONG.varHandle();
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Payload bytes per message: 64 or 496. */
    @Param({"64", "496"})
    public int payload = 64;

    private @Nullable Arena arena;
    private MemorySegment ring = MemorySegment.NULL;
    private MemorySegment pattern = MemorySegment.NULL;
    private final Consumer consumer = new Consumer();
    private @Nullable Thread consumerThread;
    private long head;
    private long cachedTail;
    private int nextSeq;

    /** The consumer thread; its counters are read after it was joined. */
    static final class Consumer {
        volatile boolean running = true;
        MemorySegment ring = MemorySegment.NULL;
        long tail;
        long received;
        long outOfOrder;
        int expected;

        void run() {
            MemorySegment r = ring;
            while (running) {
                long h = (long) INDEX.getAcquire(r, HEAD);
                long t = tail;
                if (h == t) {
                    Thread.onSpinWait();
                    continue;
                }
                for (; t < h; t++) {
                    long slot = SLOTS + (t & (NUM - 1)) * SLOT;
                    int length = r.get(ValueLayout.JAVA_INT, slot);
                    int seq = r.get(INT_LE, slot + 8);
                    if (seq != expected || length <= 0) {
                        outOfOrder++;
                    }
                    expected = seq + 1;
                }
                received += h - tail;
                tail = t;
                INDEX.setRelease(r, TAIL, t);
            }
        }
    }

    /** Allocates the ring (page-aligned, zeroed) and starts the consumer. */
    @Setup(Level.Trial)
    public void setUp() {
        if (payload < Integer.BYTES || payload > SLOT - 8) {
            throw new IllegalArgumentException("payload=" + payload);
        }
        Arena a = Arena.ofShared();
        arena = a;
        ring = a.allocate(SIZE, 4096);
        pattern = a.allocate(SLOT).fill((byte) 0x5a);
        consumer.ring = ring;
        Thread t = Thread.ofPlatform().name("ring-consumer").daemon().unstarted(consumer::run);
        consumerThread = t;
        t.start();
    }

    /** Sends one message, spinning while the ring is full. */
    @Benchmark
    public void send() {
        MemorySegment r = ring;
        long h = head;
        if (h - cachedTail >= NUM) {
            while (h - (cachedTail = (long) INDEX.getAcquire(r, TAIL)) >= NUM) {
                Thread.onSpinWait();
            }
        }
        long slot = SLOTS + (h & (NUM - 1)) * SLOT;
        MemorySegment.copy(pattern, 0, r, slot + 8, payload);
        r.set(INT_LE, slot + 8, nextSeq++);
        r.set(ValueLayout.JAVA_INT, slot, payload);
        head = h + 1;
        INDEX.setRelease(r, HEAD, h + 1);
    }

    /** Stops the consumer and frees the ring; fails the trial on a sequence error. */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        consumer.running = false;
        try {
            if (consumerThread != null) {
                consumerThread.join(10_000);
            }
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
        if (consumer.outOfOrder != 0 || consumer.received == 0) {
            throw new IllegalStateException("consumer: " + consumer.received + " received, " + consumer.outOfOrder
                    + " out of sequence");
        }
    }
}
