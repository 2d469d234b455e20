package io.rptun.benchmarks;

import io.rptun.core.rpmsg.RpmsgBatchWriter;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgStats;
import io.rptun.sim.IdleStrategy;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimRemote;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;
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
 * rptun's core path one way, host to remote, over a mapped {@code /dev/shm} file: the benchmark thread
 * sends {@code payload}-byte messages from a host endpoint ({@link RpmsgEndpoint#send(MemorySegment)}:
 * header, copy into the TX buffer, the lock-free port, a kick when the remote asked for one) to an
 * endpoint on a simulated remote ({@code SimRemote}) whose serving thread dispatches each message to a
 * listener that checks its sequence number. One op is one message; {@code send} blocks while all 256 TX
 * buffers are with the remote, so the score is the rate the remote takes messages at.
 *
 * <h2>Why the remote runs in a thread of this JVM</h2>
 * This is the side-by-side with {@link AeronIpcOneWayBenchmark}, and Aeron IPC is in-process: a
 * publisher thread and a subscriber thread over log buffers mapped from the Aeron directory in
 * {@code /dev/shm}. rptun here is the same: two hot threads (the sender and the remote's serving thread)
 * over a file mapped from {@code /dev/shm}; a remote in a child JVM would add nothing to the data path
 * (the same mapped pages) but a second JIT and GC competing for the two cores. The cross-process
 * figures are the ping-pong harness's ({@code harness.PingPongMain}).
 *
 * <h2>Idle strategies</h2>
 * {@code remoteIdle=busy-spin}: the remote's serving thread never sleeps, like Aeron's subscriber
 * polling with a busy-spin idle strategy; the fair comparison. {@code backoff}: it spins briefly, then
 * yields, parks and sleeps in the futex, so the sender pays a {@code FUTEX_WAKE} whenever it finds it
 * asleep. The host's serving thread always backs off: nothing comes back to the host on this path but
 * the returned buffers, which the sender reclaims itself.
 *
 * <p>Each fork ends by printing which state it ran in: messages per index store each way (the host's sends,
 * the remote's returns) and how often the sender found every TX buffer with the remote. Forks of one jar
 * differ by up to three times on this machine. In three fast forks measured side by side (17.5 to 18.5 M a
 * second) the remote returned 37 to 64 buffers per store and the sender found none free 4 to 11 times per
 * batch of 32; in the slow forks next to them, about 36 and 35 to 46 times (see docs/benchmarks.md).
 *
 * <p>{@code -prof gc} counts every thread of the JVM, the remote's serving thread included, so
 * {@code gc.alloc.rate.norm} is bytes per message end to end.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RptunOneWayBenchmark {
    static final String SERVICE = "bench-sink";
    private static final ValueLayout.OfInt SEQ = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Payload bytes per message: 64, or 496 (all a 512-byte buffer carries after the header). */
    @Param({"64", "496"})
    public int payload = 64;

    /** How the remote's serving thread waits: {@code busy-spin} or {@code backoff} (futex). */
    @Param({"busy-spin"})
    public String remoteIdle = "busy-spin";

    /**
     * How the benchmark thread sends: {@code send} (blocks in the device while no TX buffer is free) or
     * {@code try-send} ({@code trySend}, retried with {@link Thread#onSpinWait()} while it returns false,
     * the way {@link AeronIpcOneWayBenchmark} retries a back-pressured offer), or {@code batch-N}
     * ({@link RpmsgEndpoint#trySendBatch}: every N-th op writes the next N messages in place and publishes them
     * at once, retried with {@code onSpinWait} while no TX buffer is free; the other ops only count, so one op
     * is still one message).
     */
    @Param({"send", "try-send", "batch-8", "batch-32"})
    public String api = "send";

    /**
     * Descriptors and 512-byte buffers per vring: 256 (128 KiB of buffers per ring), or 2048 (1 MiB), which
     * {@code benchmarks/run.sh} also runs. With 256 the sender refills buffers the receiver read a few
     * microseconds earlier; docs/benchmarks.md has what a larger ring changes. Aeron's IPC term, for
     * comparison, is 64 MiB.
     */
    @Param({"256"})
    public int ring = SimLink.NUM;

    private boolean spinSend;
    /** Messages per batch, 0 when not batching. */
    private int batch;
    /** Ops left before the next batch is written. */
    private int owed;
    private final SeqWriter writer = new SeqWriter();

    /** Writes {@code count} messages of the benchmark's payload, counting the sequence word up. */
    private final class SeqWriter implements RpmsgBatchWriter {
        int count;

        @Override
        public int writeNext(MemorySegment payloadArea) {
            if (count == 0) {
                return NO_MORE;
            }
            count--;
            MemorySegment m = message;
            if (m == null) {
                throw new IllegalStateException("not set up");
            }
            MemorySegment.copy(m, 0, payloadArea, 0, payload);
            payloadArea.set(SEQ, 0, nextSeq++);
            return payload;
        }
    }
    private @Nullable SimLink link;
    private @Nullable RpmsgEndpoint endpoint;
    private @Nullable Arena arena;
    private @Nullable MemorySegment message;
    private final Sink sink = new Sink();
    private int nextSeq;
    /** Times a try-send or a batch found no TX buffer free (benchmark thread only). */
    private long emptyTries;

    /**
     * The remote's endpoint: checks that the low 32 bits of each message's first word count up by one.
     * Written only by the remote's serving thread; read after the link is closed (its thread joined).
     */
    static final class Sink implements RpmsgListener {
        long received;
        long outOfOrder;
        int expected;

        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            int seq = msg.getIntLE(0);
            if (seq != expected) {
                outOfOrder++;
            }
            expected = seq + 1;
            received++;
        }
    }

    static IdleStrategy idle(String name) {
        return switch (name) {
            case "busy-spin" -> IdleStrategy.busySpin();
            case "backoff" -> IdleStrategy.backoff();
            default -> throw new IllegalArgumentException("idle=" + name + " (busy-spin or backoff)");
        };
    }

    /** Starts the link, binds the host's endpoint to the remote's sink, fills the message. */
    @Setup(Level.Trial)
    public void setUp() {
        if (payload < Integer.BYTES || payload > SimLink.BUFFER_SIZE - 16) {
            throw new IllegalArgumentException("payload=" + payload);
        }
        spinSend = "try-send".equals(api);
        batch = switch (api) {
            case "send", "try-send" -> 0;
            case "batch-8" -> 8;
            case "batch-32" -> 32;
            default -> throw new IllegalArgumentException("api=" + api + " (send, try-send, batch-8 or batch-32)");
        };
        SimLink l = SimLink.inProcess("oneway", ring, IdleStrategy.backoff(), idle(remoteIdle),
                device -> device.createEndpoint(SERVICE, sink));
        link = l;
        RpmsgEndpoint ep = l.device().createEndpoint(SERVICE, (e, msg) -> { });
        if (!ep.awaitBound(Duration.ofSeconds(10))) {
            throw new IllegalStateException(SERVICE + " not bound");
        }
        endpoint = ep;
        Arena a = Arena.ofShared();
        arena = a;
        message = a.allocate(payload, Long.BYTES).fill((byte) 0x5a);
    }

    /** Sends one message (waiting for a TX buffer while all are with the remote). */
    @Benchmark
    public void send() {
        RpmsgEndpoint ep = endpoint;
        MemorySegment m = message;
        if (ep == null || m == null) {
            throw new IllegalStateException("not set up");
        }
        if (batch > 0) {
            if (owed-- == 0) {
                owed = batch - 1;
                writer.count = batch;
                while (writer.count > 0) {
                    if (ep.trySendBatch(writer, writer.count) == 0) {
                        emptyTries++;
                        Thread.onSpinWait();
                    }
                }
            }
            return;
        }
        m.set(SEQ, 0, nextSeq++);
        if (spinSend) {
            while (!ep.trySend(m)) {
                emptyTries++;
                Thread.onSpinWait();
            }
        } else {
            ep.send(m);
        }
    }

    static double perPublication(long messages, long publications) {
        return publications == 0 ? 0 : (double) messages / publications;
    }

    /** Stops both sides, deletes the file; fails the trial on a sequence error. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            if (link != null) {
                // What the doorbells did, for the record: a ring per kick, a FUTEX_WAKE when the rung side slept.
                SimRemote remote = link.remote();
                System.out.println("doorbells for " + sink.received + " messages: host " + link.hostDriver().futexDoorbell()
                        .stats() + ", remote " + (remote != null && remote.rptun().driver() instanceof SimDriver d
                                ? d.futexDoorbell().stats() : "?"));
                // Which state the fork ran in: how many messages went out per index store each way, and how
                // often the sender found every TX buffer with the remote (the receiver was the limit then).
                RpmsgStats host = link.device().stats();
                RpmsgStats far = remote != null ? remote.rptun().device().stats() : null;
                System.out.printf("per publication: host sends %.1f, remote returns %s; sender found no TX buffer"
                        + " %.2f times per message%n", perPublication(host.sent(), host.txPublications()),
                        far == null ? "?" : String.format("%.1f", perPublication(far.received(), far.rxPublications())),
                        sink.received == 0 ? 0.0 : (double) emptyTries / sink.received);
                link.close();
            }
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
        if (sink.outOfOrder != 0 || sink.received == 0) {
            throw new IllegalStateException("sink: " + sink.received + " received, " + sink.outOfOrder
                    + " out of sequence");
        }
    }
}
