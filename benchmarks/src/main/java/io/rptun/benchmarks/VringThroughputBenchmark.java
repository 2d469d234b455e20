package io.rptun.benchmarks;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.Notifier;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringLayout;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
 * Messages per second through one vring between two threads: a driver {@link VirtqueuePort} in
 * {@link VirtqueuePort.Mode#SEND} on one thread, the device's port in {@link VirtqueuePort.Mode#RECEIVE}
 * on the other, {@code num} = 256 buffers of 512 bytes, {@code payload} bytes sent in each.
 *
 * <p>The sender acquires a free buffer, writes the payload (a sequence number, then a pre-filled
 * pattern) and submits it; with {@code batch} &gt; 1 it stages up to that many and publishes them with
 * one {@link VirtqueuePort#flush()}. The receiver takes up to 256 buffers per call, checks each sequence
 * number and submits the buffer straight back, which returns it on the used ring to the sender's free
 * pool. Nothing on this path should allocate: {@code -prof gc} should show
 * {@code gc.alloc.rate.norm} near 0 B/op.
 *
 * <p>{@code memory} picks where the vring and its buffers live: {@code native} is a 4096-aligned
 * segment of a shared arena; {@code shm} is a file mapped from {@code /dev/shm} (or the temporary
 * directory where there is none), deleted when the trial ends, as two processes would share it.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class VringThroughputBenchmark {
    static final int NUM = 256;
    static final long ALIGN = 0x1000;
    static final long BUFFER_SIZE = 512;
    static final long BUFFERS_OFFSET = 0x10000;
    static final long REGION_SIZE = BUFFERS_OFFSET + NUM * BUFFER_SIZE;

    /** Where the vring lives: {@code native} (arena segment) or {@code shm} (mapped file). */
    @Param({"native", "shm"})
    public String memory = "native";

    /** Bytes written into and sent with each buffer: 8 to 512 (496 is rpmsg's payload limit). */
    @Param({"64"})
    public int payload = 64;

    /** Buffers the sender stages before one flush: 1 (submit each) or more. */
    @Param({"1", "32"})
    public int batch = 1;

    // Set by setUp(), which JMH runs before any benchmark method; read-only afterwards, so that the two
    // threads share no written field here. What each thread writes lives in its own Scope.Thread state
    // (Sender, Receiver), which JMH pads against false sharing.
    private Arena arena;
    private @Nullable Path file;
    private VirtqueuePort tx;
    private VirtqueuePort rx;

    /** Sender's counters, reported per second. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class SendCounters {
        /** Messages submitted. */
        public long sent;
        /** Calls that found no free buffer and sent nothing. */
        public long sendFailures;

        /** Starts each iteration from zero. */
        @Setup(Level.Iteration)
        public void reset() {
            sent = 0;
            sendFailures = 0;
        }
    }

    /** Receiver's counters, reported per second; {@code received} is the headline figure. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class ReceiveCounters {
        /** Messages received (and handed back). */
        public long received;
        /** Calls that found nothing to receive. */
        public long receiveEmpty;

        /** Starts each iteration from zero. */
        @Setup(Level.Iteration)
        public void reset() {
            received = 0;
            receiveEmpty = 0;
        }
    }

    /** Sender only: the next sequence number and the bytes copied into every message. */
    @State(Scope.Thread)
    public static class Sender {
        long nextSeq;
        MemorySegment pattern = MemorySegment.ofArray(new byte[(int) BUFFER_SIZE]).fill((byte) 0x5a);
    }

    /**
     * Receiver only: the pre-allocated handler, which checks each buffer's sequence number and submits
     * the buffer straight back. Fails the trial if a message was lost, duplicated or reordered.
     */
    @State(Scope.Thread)
    public static class Receiver implements VirtqueuePort.Receiver {
        private VirtqueuePort rx;
        long expected;
        long outOfOrder;

        /** Binds to the group's receiving port. */
        @Setup(Level.Trial)
        public void setUp(VringThroughputBenchmark group) {
            rx = group.rx;
        }

        @Override
        public void onBuffer(VringBuffer buffer) {
            long seq = buffer.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            if (seq != expected) {
                outOfOrder++;
            }
            expected = seq + 1;
            rx.submit(buffer);
        }

        /** Fails the trial on a sequence error. */
        @TearDown(Level.Trial)
        public void check() {
            if (outOfOrder != 0) {
                throw new IllegalStateException(outOfOrder + " messages out of sequence");
            }
        }
    }

    /** Maps the memory, lays out the vring and its 256 buffers, and opens both ports. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (payload < Long.BYTES || payload > BUFFER_SIZE) {
            throw new IllegalArgumentException("payload=" + payload);
        }
        if (batch < 1 || batch > NUM) {
            throw new IllegalArgumentException("batch=" + batch);
        }
        arena = Arena.ofShared();
        MemorySegment shm = switch (memory) {
            case "native" -> arena.allocate(REGION_SIZE, 4096);
            case "shm" -> mapFile();
            default -> throw new IllegalArgumentException("memory=" + memory);
        };
        if (VringLayout.byteSize(NUM, ALIGN) > BUFFERS_OFFSET) {
            throw new IllegalStateException("vring overlaps the buffers");
        }
        SharedRegion region = SharedRegion.of(shm, 0, AddressEnvironment.identity());
        Vring vring = Vring.of(shm, NUM, ALIGN);
        vring.clear();
        tx = VirtqueuePort.driver("bench-tx", vring, region, VirtqueuePort.Mode.SEND, Notifier.NONE);
        for (int i = 0; i < NUM; i++) {
            tx.release(tx.addBuffer(BUFFERS_OFFSET + BUFFER_SIZE * i, (int) BUFFER_SIZE));
        }
        rx = VirtqueuePort.device("bench-rx", vring, region, VirtqueuePort.Mode.RECEIVE, Notifier.NONE);
    }

    private MemorySegment mapFile() throws IOException {
        Path devShm = Path.of("/dev/shm");
        Path dir = Files.isDirectory(devShm) && Files.isWritable(devShm)
                ? devShm : Path.of(System.getProperty("java.io.tmpdir"));
        Path created = Files.createTempFile(dir, "rptun-bench-", ".vring");
        file = created;
        try (FileChannel channel = FileChannel.open(created, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, REGION_SIZE, arena);
        }
    }

    /** Fails the trial if the queue broke; unmaps the memory and deletes the file. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try {
            if (tx.isBroken() || rx.isBroken()) {
                throw new IllegalStateException("queue broken: " + (tx.isBroken() ? tx.brokenBy() : rx.brokenBy()));
            }
        } finally {
            arena.close();
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** Sends up to {@code batch} messages, or counts a failure when no buffer is free. */
    @Benchmark
    @Group("vring")
    @GroupThreads(1)
    public void send(Sender sender, SendCounters counters) {
        int staged = 0;
        while (staged < batch) {
            VringBuffer buffer = tx.acquire();
            if (buffer == null) {
                break;
            }
            MemorySegment bytes = buffer.segment();
            MemorySegment.copy(sender.pattern, 0, bytes, 0, payload);
            bytes.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, sender.nextSeq++);
            buffer.length(payload);
            tx.stage(buffer);
            staged++;
        }
        if (staged == 0) {
            counters.sendFailures++;
            return;
        }
        tx.flush();
        counters.sent += staged;
    }

    /** Receives up to 256 messages and hands each buffer straight back. */
    @Benchmark
    @Group("vring")
    @GroupThreads(1)
    public void receive(Receiver receiver, ReceiveCounters counters) {
        int n = rx.receive(receiver, NUM);
        if (n == 0) {
            counters.receiveEmpty++;
        } else {
            counters.received += n;
        }
    }
}
